import { EngineWorker } from "../engine-pool";

export interface OcrWord {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

export interface OcrResult {
  text: string;
  /** 0-100, as the engine reports it. */
  confidence: number;
  words: OcrWord[];
}

/** One engine instance that reads one image at a time (a tesseract.js worker). */
export type OcrWorker = EngineWorker<Buffer, OcrResult>;
