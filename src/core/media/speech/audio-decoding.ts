// Voice notes to mono samples at the rate an engine wants, inside an engine thread: Ogg/Opus through
// ogg-opus-decoder (WebAssembly), WAV read directly. Shared by the offline speech engine and the splitter for long cloud requests.
import { WaError } from "../../errors";
import { StreamingResampler, concatSamples, mixDown, resample, wavSamples } from "./audio";
import { SpeechJob } from "./speech";
import { importModule } from "../engine-thread";

export interface OpusDecoder {
  ready: Promise<void>;
  reset(): Promise<void>;
  /** Typed as synchronous by the package, but it answers with a promise. */
  decode(data: Uint8Array): Promise<{ channelData: Float32Array[]; samplesDecoded: number; sampleRate: number }>;
  flush(): Promise<{ channelData: Float32Array[]; samplesDecoded: number; sampleRate: number }>;
}

/** Ogg bytes fed to the decoder at a time when decoding piece by piece: a few seconds of speech. */
const OGG_SLICE_BYTES = 64 * 1024;

export async function loadOpusDecoder(): Promise<OpusDecoder> {
  const { OggOpusDecoder } = (await importModule("ogg-opus-decoder")) as { OggOpusDecoder: new () => OpusDecoder };
  const opus = new OggOpusDecoder();
  await opus.ready;
  return opus;
}

/**
 * A voice note decoded piece by piece and resampled to `rate` as it goes, so a long note is never
 * held at 48 kHz: for a 15-minute note, 58 MB of 16 kHz samples instead of 173 MB of 48 kHz ones
 * (and the decoder's copy of them).
 */
export async function decodeResampled(
  job: Pick<SpeechJob, "audio" | "container">,
  opus: OpusDecoder,
  engine: string,
  rate: number,
): Promise<{ samples: Float32Array; durationSeconds: number }> {
  if (job.container === "wav") {
    const { samples, sampleRate } = wavSamples(job.audio);
    return { samples: resample(samples, sampleRate, rate), durationSeconds: samples.length / sampleRate };
  }
  if (job.container !== "ogg") {
    const reason = `${engine} reads Ogg/Opus and WAV, not ${job.container}`;
    throw new WaError("media.unreadable", `The audio could not be read: ${reason}`, { reason });
  }
  const pieces: Float32Array[] = [];
  let resampler: StreamingResampler | undefined;
  let decodedSamples = 0;
  let decodedRate = 48000;
  const take = (decoded: { channelData: Float32Array[]; samplesDecoded: number; sampleRate: number }) => {
    if (decoded.samplesDecoded === 0) return;
    decodedRate = decoded.sampleRate;
    resampler ??= new StreamingResampler(decoded.sampleRate, rate);
    decodedSamples += decoded.samplesDecoded;
    pieces.push(resampler.push(mixDown(decoded.channelData)));
  };
  try {
    for (let at = 0; at < job.audio.length; at += OGG_SLICE_BYTES) take(await opus.decode(job.audio.subarray(at, at + OGG_SLICE_BYTES)));
    take(await opus.flush());
  } finally {
    await opus.reset();
  }
  if (!resampler || decodedSamples === 0)
    throw new WaError("media.unreadable", "The audio could not be read: no Opus audio could be decoded", {
      reason: "no Opus audio could be decoded",
    });
  pieces.push(resampler.end());
  return { samples: concatSamples(pieces), durationSeconds: decodedSamples / decodedRate };
}
