import path from "node:path";
import { EngineWorker } from "../engine-pool";
import { GrammarMode, SpeechJob, Transcript } from "./speech";
import { startEngineThread } from "../engine-thread";

export type HeardSpeech = Transcript & { durationSeconds?: number };

export interface AdaptationRecording {
  name: string;
  audio: Uint8Array;
  container: string;
  text: string;
}

export interface OfflineSpeechSettings {
  model: "en-us" | "fr-fr";
  mode: GrammarMode;
  phrases: string[];
  maxSeconds: number;
  /** Recordings to adapt the model's means to, and the file the adapted means are kept in (reused when it exists). */
  adaptation?: { recordings: AdaptationRecording[]; meansFile: string; priorWeight: number };
}

/** What adapting the model did: recordings used, those left out and why, frames counted; reused when the file existed. */
export interface AdaptationSummary {
  recordings: number;
  skipped: { name: string; reason: string }[];
  frames: number;
  reused: boolean;
}

export interface OfflineSpeechInfo {
  unknownWords: string[];
  adaptation?: AdaptationSummary;
}

/** Starts one offline speech thread; resolves once its model is loaded (and adapted), with what it found. */
export function startOfflineSpeechThread(
  settings: OfflineSpeechSettings,
  onReady: (info: OfflineSpeechInfo) => void = () => undefined,
): Promise<EngineWorker<SpeechJob, HeardSpeech>> {
  return startEngineThread<SpeechJob, HeardSpeech, OfflineSpeechInfo>(
    path.join(__dirname, "speech-offline-worker"),
    settings,
    { label: "speech engine", maxHeapMb: 512 },
    onReady,
  );
}
