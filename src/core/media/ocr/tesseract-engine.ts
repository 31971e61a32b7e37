import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { WaError } from "../../errors";
import { OcrResult, OcrWord, OcrWorker } from "./ocr";
import { LaidOutBlock, WordLine, runsAcrossColumns, textInReadingOrder } from "./reading-order";

/** Language codes as tesseract names them: eng, por, spa, deu, fra, hin... */
export const OCR_LANGUAGE = /^[a-z]{3}(?:_[a-z]{3,4})?$/;

/** The traineddata file of a language from its npm package (@tesseract.js-data/<code>); never the network. */
export function languageDataFile(code: string): string {
  const packageName = `@tesseract.js-data/${code}`;
  let folder: string;
  try {
    folder = path.dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    throw new WaError(
      "media.missingLanguage",
      `No language data for ${code}: install ${packageName} next to Node-RED (npm install ${packageName})`,
      { lang: code, package: packageName },
    );
  }
  for (const version of ["4.0.0_best_int", "4.0.0"]) {
    const file = path.join(folder, version, `${code}.traineddata.gz`);
    if (existsSync(file)) return file;
  }
  throw new WaError("media.missingLanguage", `${packageName} holds no ${code}.traineddata.gz`, { lang: code, package: packageName });
}

/** tesseract.js reads every language from one folder: the packages' files are copied into one under the user directory. */
export function gatherLanguageData(codes: string[], folder: string): string {
  mkdirSync(folder, { recursive: true });
  for (const code of codes) {
    const source = languageDataFile(code);
    const target = path.join(folder, `${code}.traineddata.gz`);
    if (!existsSync(target) || statSync(target).size !== statSync(source).size) copyFileSync(source, target);
  }
  return folder;
}

interface TesseractWord {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}
interface TesseractLine {
  text: string;
  bbox: TesseractWord["bbox"];
  words?: TesseractWord[];
}
interface TesseractPage {
  text: string;
  confidence: number;
  blocks?: { bbox: TesseractWord["bbox"]; paragraphs?: { lines?: TesseractLine[] }[] }[] | null;
}
interface TesseractWorker {
  setParameters(parameters: Record<string, string>): Promise<unknown>;
  recognize(image: Buffer, options?: Record<string, unknown>, output?: Record<string, boolean>): Promise<{ data: TesseractPage }>;
  terminate(): Promise<unknown>;
}

function wordsOf(page: TesseractPage): OcrWord[] {
  const words: OcrWord[] = [];
  for (const block of page.blocks ?? [])
    for (const paragraph of block.paragraphs ?? [])
      for (const line of paragraph.lines ?? [])
        for (const w of line.words ?? []) words.push({ text: w.text, confidence: Math.round(w.confidence * 10) / 10, bbox: { ...w.bbox } });
  return words;
}

/**
 * How the engine finds the text on the image. `block`: the whole image read as one block, line by line across
 * it (tesseract.js's default): right for receipts, labels, tables and single columns, but columns of running text
 * run into each other. `auto`: read as one block first; when its lines ran across columns of running text, read
 * again with Tesseract's automatic page segmentation (its command line's default) and the blocks put in reading
 * order (see reading-order), so only such pages cost a second pass.
 */
export type OcrLayout = "auto" | "block";

/** Tesseract's page segmentation modes: one block of text, and automatic page segmentation. */
const ONE_BLOCK = "6";
const AUTOMATIC = "3";

function linesOf(page: TesseractPage): WordLine[] {
  return (page.blocks ?? []).flatMap((block) =>
    (block.paragraphs ?? []).flatMap((paragraph) => (paragraph.lines ?? []).map((line) => ({ words: line.words ?? [] }))),
  );
}

function laidOut(page: TesseractPage): LaidOutBlock[] {
  return (page.blocks ?? []).map((block) => ({
    bbox: block.bbox,
    lines: (block.paragraphs ?? []).flatMap((paragraph) => paragraph.lines ?? []).map((line) => ({ text: line.text, bbox: line.bbox })),
  }));
}

/** Starts one tesseract.js worker (LSTM engine) for the languages, from local data only. */
export async function createTesseractWorker(
  codes: string[],
  dataFolder: string,
  withWords: boolean,
  layout: OcrLayout = "auto",
): Promise<OcrWorker> {
  const langPath = gatherLanguageData(codes, dataFolder);
  const tesseract = (await import("tesseract.js")) as unknown as {
    createWorker(langs: string, oem: number, options: Record<string, unknown>): Promise<TesseractWorker>;
  };
  // errorHandler keeps a worker's error on its promise instead of throwing it out of the process.
  const worker = await tesseract.createWorker(codes.join("+"), 1, {
    langPath,
    cacheMethod: "none",
    gzip: true,
    errorHandler: () => undefined,
  });
  await worker.setParameters({ tessedit_pageseg_mode: ONE_BLOCK });
  // tesseract.js posts a job to its thread a microtask after recognize() is called, and throws out of the
  // process if the thread was terminated in between: no job starts after terminate, and terminate waits a turn.
  let terminated = false;
  const inFlight = new Set<(error: WaError) => void>();
  const stillRunning = () => {
    if (terminated) throw new WaError("media.closed", "The OCR engine was stopped");
  };
  // One image at a time per worker (the pool's rule), so the segmentation mode can change between its passes.
  const read = async (image: Buffer): Promise<OcrResult> => {
    const wantsLines = withWords || layout === "auto";
    const { data } = await worker.recognize(image, {}, { text: true, blocks: wantsLines });
    if (layout === "block" || !runsAcrossColumns(linesOf(data))) {
      return { text: data.text.trim(), confidence: Math.round(data.confidence * 10) / 10, words: withWords ? wordsOf(data) : [] };
    }
    stillRunning();
    await worker.setParameters({ tessedit_pageseg_mode: AUTOMATIC });
    try {
      stillRunning();
      const { data: paged } = await worker.recognize(image, {}, { text: true, blocks: true });
      const blocks = laidOut(paged);
      return {
        text: blocks.length > 0 ? textInReadingOrder(blocks) : paged.text.trim(),
        confidence: Math.round(paged.confidence * 10) / 10,
        words: withWords ? wordsOf(paged) : [],
      };
    } finally {
      if (!terminated) await worker.setParameters({ tessedit_pageseg_mode: ONE_BLOCK });
    }
  };
  return {
    run(image: Buffer): Promise<OcrResult> {
      if (terminated) return Promise.reject(new WaError("media.closed", "The OCR engine was stopped"));
      return new Promise<OcrResult>((resolve, reject) => {
        inFlight.add(reject);
        read(image).then(
          (result) => {
            inFlight.delete(reject);
            resolve(result);
          },
          (error: unknown) => {
            inFlight.delete(reject);
            reject(error);
          },
        );
      });
    },
    async terminate(): Promise<void> {
      if (terminated) return;
      terminated = true;
      // A job whose thread is terminated never answers: it fails now instead of waiting for the time limit.
      for (const reject of inFlight) reject(new WaError("media.closed", "The OCR engine was stopped"));
      inFlight.clear();
      await new Promise((resolve) => setImmediate(resolve));
      await worker.terminate();
    },
  };
}
