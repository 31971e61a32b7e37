// Runs in a worker thread: the offline speech engine (SoundSwallower, a WebAssembly build of
// CMU PocketSphinx with its US English and French acoustic models) and the Opus decoder, so a long
// voice note never holds up the messages on Node-RED's own thread.
import path from "node:path";
import { WaError } from "../../core/errors";
import { padWithBackground, resample } from "../../core/media/audio";
import { AlignedSegment, GrammarMode, SpeechJob, buildGrammar, grammarWords, transcriptFromAlignment } from "../../core/media/speech";
import { decodeToMono, loadOpusDecoder } from "./audio-decoding";
import { importModule, serveEngineThread } from "./engine-thread";
import type { HeardSpeech, OfflineSpeechSettings } from "./speech-offline";

interface Decoder {
  initialize(): Promise<unknown>;
  lookup_word(word: string): string | null;
  set_grammar(jsgf: string): void;
  start(): void;
  process_audio(pcm: Float32Array, noSearch: boolean, fullUtterance: boolean): number;
  stop(): void;
  get_alignment(): { w?: AlignedSegment[] };
}
interface SoundSwallower {
  Decoder: new (config: Record<string, unknown>) => Decoder;
}

/**
 * Insertion penalties per grammar. In a loop grammar (digits, words) the decoder otherwise fills
 * breaths and background with extra short words. Chosen on FSDD's train recordings (digit WER 0.42 ->
 * 0.18) and espeak-ng sentences (word loop 0.90 -> 0.36); a closed phrase list needs none.
 */
const DECODER_TUNING: Record<GrammarMode, Record<string, number>> = {
  digits: { pip: 0.2, silprob: 0.2 },
  words: { wip: 0.01 },
  phrases: {},
};

/** The model works on 8 kHz audio (telephone band), which is what it was trained on. */
const MODEL_RATE = 8000;

async function setup(data: unknown) {
  const settings = data as OfflineSpeechSettings;
  const listenersBefore = process.listeners("uncaughtException");
  const soundswallower = await importModule("soundswallower");
  const modelBase = path.join(path.dirname(require.resolve("soundswallower")), "model") + path.sep;
  const engine = await (soundswallower.default as (options: Record<string, unknown>) => Promise<SoundSwallower>)({ modelBase, print: () => undefined, printErr: () => undefined });
  // Emscripten's module adds a handler that rethrows every uncaught error; the thread keeps Node's own.
  for (const listener of process.listeners("uncaughtException")) if (!listenersBefore.includes(listener)) process.off("uncaughtException", listener);

  const decoder = new engine.Decoder({ hmm: path.join(modelBase, settings.model), samprate: MODEL_RATE, loglevel: "FATAL", ...DECODER_TUNING[settings.mode] });
  await decoder.initialize();
  const unknownWords = grammarWords(settings.mode, settings.phrases).filter((word) => decoder.lookup_word(word) === null);
  const phrases = settings.phrases.map((p) => p.split(" ").filter((w) => !unknownWords.includes(w)).join(" ")).filter(Boolean);
  decoder.set_grammar(buildGrammar(settings.mode, phrases));
  const opus = await loadOpusDecoder();

  return {
    info: { unknownWords },
    async handle(job: SpeechJob): Promise<HeardSpeech> {
      const { samples, rate } = await decodeToMono(job, opus, "the offline engine");
      const durationSeconds = samples.length / rate;
      if (durationSeconds > settings.maxSeconds) {
        throw new WaError("media.tooLong", `The voice note lasts ${durationSeconds.toFixed(1)} s; the limit is ${settings.maxSeconds} s`, { seconds: Math.round(durationSeconds), max: settings.maxSeconds });
      }
      const audio = padWithBackground(resample(samples, rate, MODEL_RATE), MODEL_RATE, 0.15);
      decoder.start();
      decoder.process_audio(audio, false, true);
      decoder.stop();
      return { ...transcriptFromAlignment(decoder.get_alignment().w ?? [], job.language), durationSeconds };
    },
  };
}

serveEngineThread(setup);
