import { EngineWorker } from "../../core/media/engine-pool";
import { GrammarMode, SpeechJob, Transcript } from "../../core/media/speech";
import { startEngineThread } from "./engine-thread";

export type HeardSpeech = Transcript & { durationSeconds?: number };

export interface OfflineSpeechSettings {
  model: "en-us" | "fr-fr";
  mode: GrammarMode;
  phrases: string[];
  maxSeconds: number;
}

/** Starts one offline speech thread; resolves once its model is loaded, with the grammar words its dictionary lacks. */
export function startOfflineSpeechThread(settings: OfflineSpeechSettings, onUnknownWords: (words: string[]) => void = () => undefined): Promise<EngineWorker<SpeechJob, HeardSpeech>> {
  return startEngineThread<SpeechJob, HeardSpeech, { unknownWords: string[] }>("speech-offline-worker", settings, { label: "speech engine", maxHeapMb: 512 }, (info) => {
    if (info.unknownWords.length > 0) onUnknownWords(info.unknownWords);
  });
}
