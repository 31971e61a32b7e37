// Runs in a worker thread: the offline speech engine (SoundSwallower, a WebAssembly build of
// CMU PocketSphinx with its US English and French acoustic models) and the Opus decoder, so a long
// voice note never holds up the messages on Node-RED's own thread.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { WaError } from "../../errors";
import {
  AlignmentNode,
  MeanAdaptation,
  alignedFrames,
  featureFrames,
  frontEndParams,
  readCiPhones,
  readGaussianTable,
  readSenoneDump,
  writeGaussianTable,
} from "./acoustic-adaptation";
import { padWithBackground } from "./audio";
import { AlignedSegment, GrammarMode, SpeechJob, buildGrammar, grammarWords, transcriptFromAlignment } from "./speech";
import { OpusDecoder, decodeResampled, loadOpusDecoder } from "./audio-decoding";
import { importModule, serveEngineThread } from "../engine-thread";
import type { AdaptationSummary, HeardSpeech, OfflineSpeechSettings } from "./speech-offline";

interface Decoder {
  initialize(): Promise<unknown>;
  lookup_word(word: string): string | null;
  set_grammar(jsgf: string): void;
  start(): void;
  process_audio(pcm: Float32Array, noSearch: boolean, fullUtterance: boolean): number;
  stop(): void;
  get_alignment(options?: { align_level: number }): { w?: AlignedSegment[] };
  set_align_text(text: string): void;
  spectrogram(pcm: Float32Array): { data: Float32Array; nfr: number; nfeat: number };
  delete(): void;
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
const PAD_SECONDS = 0.15;

async function samplesForModel(
  job: Pick<SpeechJob, "audio" | "container">,
  opus: OpusDecoder,
  maxSeconds: number,
): Promise<{ audio: Float32Array; durationSeconds: number }> {
  const { samples, durationSeconds } = await decodeResampled(job, opus, "the offline engine", MODEL_RATE);
  if (durationSeconds > maxSeconds) {
    throw new WaError("media.tooLong", `The voice note lasts ${durationSeconds.toFixed(1)} s; the limit is ${maxSeconds} s`, {
      seconds: Math.round(durationSeconds),
      max: maxSeconds,
    });
  }
  return { audio: padWithBackground(samples, MODEL_RATE, PAD_SECONDS), durationSeconds };
}

/**
 * Means adapted to the settings' recordings, written once to their file (named by the recordings'
 * hash, so a redeploy or a second thread finds it): the base model aligns each recording to its
 * words, and the frames' features move the means they fall in.
 */
async function adaptedMeansFile(
  engine: SoundSwallower,
  hmm: string,
  settings: OfflineSpeechSettings,
  opus: OpusDecoder,
): Promise<AdaptationSummary> {
  const adaptation = settings.adaptation!;
  const summaryFile = `${adaptation.meansFile}.json`;
  if (existsSync(adaptation.meansFile)) {
    try {
      return { ...(JSON.parse(readFileSync(summaryFile, "utf8")) as AdaptationSummary), reused: true };
    } catch {
      // The summary went missing beside its means: they still serve; only the counts are unknown.
      return { recordings: adaptation.recordings.length, skipped: [], frames: 0, reused: true };
    }
  }
  const modelFile = (name: string) => new Uint8Array(readFileSync(path.join(hmm, name)));
  const params = frontEndParams(JSON.parse(readFileSync(path.join(hmm, "feat_params.json"), "utf8")) as Record<string, unknown>);
  const means = readGaussianTable(modelFile("means"));
  const accumulator = new MeanAdaptation({
    means,
    variances: readGaussianTable(modelFile("variances")),
    weights: readSenoneDump(modelFile("sendump")),
    ciPhones: readCiPhones(modelFile("mdef")),
  });
  const aligner = new engine.Decoder({ hmm, samprate: MODEL_RATE, loglevel: "FATAL" });
  await aligner.initialize();
  const skipped: { name: string; reason: string }[] = [];
  let used = 0;
  try {
    for (const recording of adaptation.recordings) {
      const unknown = recording.text.split(" ").filter((word) => aligner.lookup_word(word) === null);
      if (unknown.length > 0) {
        skipped.push({ name: recording.name, reason: `not in the dictionary: ${unknown.slice(0, 3).join(", ")}` });
        continue;
      }
      try {
        const { audio } = await samplesForModel(recording, opus, settings.maxSeconds);
        aligner.set_align_text(recording.text);
        aligner.start();
        aligner.process_audio(audio, false, true);
        aligner.stop();
        const frames = alignedFrames({ t: "", b: 0, d: 0, w: aligner.get_alignment({ align_level: 2 }).w as AlignmentNode[] | undefined });
        const spectrum = aligner.spectrogram(audio);
        if (frames.length === 0 || accumulator.add(featureFrames(spectrum.data, spectrum.nfr, spectrum.nfeat, params), frames) === 0) {
          skipped.push({ name: recording.name, reason: "its words could not be aligned to the audio" });
        } else used++;
      } catch (error) {
        skipped.push({ name: recording.name, reason: (error as Error).message.slice(0, 200) });
      }
    }
  } finally {
    aligner.delete();
  }
  if (used === 0)
    throw new WaError(
      "config.invalid",
      `Adapt to voices: none of the ${adaptation.recordings.length} recordings could be used (${skipped[0]?.reason ?? "none listed"})`,
      { field: "adaptList" },
    );
  const summary: AdaptationSummary = { recordings: used, skipped, frames: accumulator.frames, reused: false };
  // The summary first: a means file that exists always has its summary beside it.
  const temporary = `${adaptation.meansFile}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, JSON.stringify(summary));
  renameSync(temporary, summaryFile);
  writeFileSync(temporary, writeGaussianTable(accumulator.adaptedMeans(adaptation.priorWeight)));
  renameSync(temporary, adaptation.meansFile);
  return summary;
}

async function setup(data: unknown) {
  const settings = data as OfflineSpeechSettings;
  const listenersBefore = process.listeners("uncaughtException");
  const soundswallower = await importModule("soundswallower");
  const modelBase = path.join(path.dirname(require.resolve("soundswallower")), "model") + path.sep;
  const engine = await (soundswallower.default as (options: Record<string, unknown>) => Promise<SoundSwallower>)({
    modelBase,
    print: () => undefined,
    printErr: () => undefined,
  });
  // Emscripten's module adds a handler that rethrows every uncaught error; the thread keeps Node's own.
  for (const listener of process.listeners("uncaughtException"))
    if (!listenersBefore.includes(listener)) process.off("uncaughtException", listener);

  const hmm = path.join(modelBase, settings.model);
  const opus = await loadOpusDecoder();
  const adaptation = settings.adaptation ? await adaptedMeansFile(engine, hmm, settings, opus) : undefined;
  const adaptedMeans = settings.adaptation ? { mean: settings.adaptation.meansFile } : {};
  const decoder = new engine.Decoder({ hmm, samprate: MODEL_RATE, loglevel: "FATAL", ...DECODER_TUNING[settings.mode], ...adaptedMeans });
  await decoder.initialize();
  const unknownWords = grammarWords(settings.mode, settings.phrases).filter((word) => decoder.lookup_word(word) === null);
  const phrases = settings.phrases
    .map((p) =>
      p
        .split(" ")
        .filter((w) => !unknownWords.includes(w))
        .join(" "),
    )
    .filter(Boolean);
  decoder.set_grammar(buildGrammar(settings.mode, phrases));

  return {
    info: { unknownWords, adaptation },
    async handle(job: SpeechJob): Promise<HeardSpeech> {
      const { audio, durationSeconds } = await samplesForModel(job, opus, settings.maxSeconds);
      decoder.start();
      decoder.process_audio(audio, false, true);
      decoder.stop();
      return { ...transcriptFromAlignment(decoder.get_alignment().w ?? [], job.language), durationSeconds };
    },
  };
}

serveEngineThread(setup);
