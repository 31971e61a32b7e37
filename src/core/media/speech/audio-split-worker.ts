// Runs in a worker thread: a long voice note decoded, resampled and cut at pauses into WAV pieces short
// enough for a cloud service's synchronous request, so decoding minutes of Opus never blocks Node-RED.
import { encodeWav16, splitAtPauses } from "./audio";
import { SpeechJob } from "./speech";
import { decodeResampled, loadOpusDecoder } from "./audio-decoding";
import { serveEngineThread } from "../engine-thread";
import type { AudioPieces, AudioSplitSettings } from "./audio-splitting";

serveEngineThread(async (data) => {
  const settings = data as AudioSplitSettings;
  const opus = await loadOpusDecoder();
  return {
    async handle(job: SpeechJob): Promise<AudioPieces> {
      const { samples: audio, durationSeconds } = await decodeResampled(
        job,
        opus,
        "the splitter for long voice notes",
        settings.sampleRate,
      );
      return {
        durationSeconds,
        pieces: splitAtPauses(audio, settings.sampleRate, settings.maxSeconds).map(({ start, end }) => ({
          wav: encodeWav16(audio.subarray(start, end), settings.sampleRate),
          offsetSeconds: start / settings.sampleRate,
        })),
      };
    },
  };
});
