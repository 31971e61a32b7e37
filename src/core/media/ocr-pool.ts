import { Clock } from "../clock";
import { EnginePool, EnginePoolOptions, EngineWorker, Timed } from "./engine-pool";

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

export type OcrPoolOptions = Omit<EnginePoolOptions, "label">;

/** The engine pool for images: a worker reads one image at a time. */
export class OcrPool extends EnginePool<Buffer, OcrResult> {
  constructor(createWorker: () => Promise<OcrWorker>, options: OcrPoolOptions, clock: Clock) {
    super(createWorker, { ...options, label: "OCR" }, clock);
  }

  recognize(image: Buffer): Promise<Timed<OcrResult>> {
    return this.run(image);
  }
}

