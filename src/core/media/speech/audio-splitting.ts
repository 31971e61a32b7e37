import path from "node:path";
import { EngineWorker } from "../engine-pool";
import { SpeechJob } from "./speech";
import { startEngineThread } from "../engine-thread";

export interface AudioSplitSettings {
  /** Rate of the WAV pieces (16 kHz: what speech services are trained on). */
  sampleRate: number;
  /** Longest piece. */
  maxSeconds: number;
}

export interface AudioPieces {
  durationSeconds: number;
  /** 16-bit mono WAV pieces and where each starts in the recording. */
  pieces: { wav: Uint8Array; offsetSeconds: number }[];
}

export function startAudioSplitThread(settings: AudioSplitSettings): Promise<EngineWorker<SpeechJob, AudioPieces>> {
  return startEngineThread<SpeechJob, AudioPieces>(path.join(__dirname, "audio-split-worker"), settings, {
    label: "splitter for long voice notes",
    maxHeapMb: 512,
  });
}
