// Voice notes to mono samples inside an engine thread: Ogg/Opus through ogg-opus-decoder (WebAssembly),
// WAV read directly. Shared by the offline speech engine and the splitter for long cloud requests.
import { WaError } from "../../core/errors";
import { mixDown, wavSamples } from "../../core/media/audio";
import { SpeechJob } from "../../core/media/speech";
import { importModule } from "./engine-thread";

export interface OpusDecoder {
  ready: Promise<void>;
  reset(): Promise<void>;
  decodeFile(data: Uint8Array): Promise<{ channelData: Float32Array[]; samplesDecoded: number; sampleRate: number }>;
}

export async function loadOpusDecoder(): Promise<OpusDecoder> {
  const { OggOpusDecoder } = (await importModule("ogg-opus-decoder")) as { OggOpusDecoder: new () => OpusDecoder };
  const opus = new OggOpusDecoder();
  await opus.ready;
  return opus;
}

export async function decodeToMono(job: Pick<SpeechJob, "audio" | "container">, opus: OpusDecoder, engine: string): Promise<{ samples: Float32Array; rate: number }> {
  if (job.container === "ogg") {
    const decoded = await opus.decodeFile(job.audio);
    await opus.reset();
    if (decoded.samplesDecoded === 0) throw new WaError("media.unreadable", "The audio could not be read: no Opus audio could be decoded", { reason: "no Opus audio could be decoded" });
    return { samples: mixDown(decoded.channelData), rate: decoded.sampleRate };
  }
  if (job.container === "wav") {
    const { samples, sampleRate } = wavSamples(job.audio);
    return { samples, rate: sampleRate };
  }
  const reason = `${engine} reads Ogg/Opus and WAV, not ${job.container}`;
  throw new WaError("media.unreadable", `The audio could not be read: ${reason}`, { reason });
}
