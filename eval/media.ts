// Media figures: OCR character error rate on the tesseract.js test images (and degraded copies, with and
// without preparing the image), the pool's overhead, and offline speech word error rate on spoken digits
// (FSDD) and on sentences synthesised with espeak-ng.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { systemClock } from "../src/core/clock";
import { EnginePool } from "../src/core/media/engine-pool";
import { OcrResult } from "../src/core/media/ocr/ocr";
import { GrammarMode, editDistance, wordErrors } from "../src/core/media/speech/speech";
import { NO_PREPROCESSING, PreprocessOptions, preprocessImage } from "../src/core/media/ocr/image-preprocess";
import { OfflineSpeechSettings, startOfflineSpeechThread } from "../src/core/media/speech/speech-offline";
import { DEFAULT_PRIOR_WEIGHT } from "../src/core/media/speech/acoustic-adaptation";
import { OcrLayout, createTesseractWorker, gatherLanguageData } from "../src/core/media/ocr/tesseract-engine";
import { DEFAULT_DOCUMENT_LIMITS, DocumentResult } from "../src/core/media/documents/limits";
import { startDocumentThread } from "../src/core/media/documents/document-reader";
import { makeDocx, makePdf, makeXlsx, makeZip } from "../test/support/document-fixtures";
import { EvalRow } from "./threads";

/** Spaces and line breaks counted once each: the ground truth has one line per printed line. */
const normalizeText = (text: string) =>
  text
    .replace(/[ \t]+/g, " ")
    .replace(/\s*\n\s*/g, "\n")
    .trim();

/** Words in order, whatever the line breaks: a column's lines wrap where its width says, not where the ground truth does. */
const wordsOnly = (text: string) => text.replace(/\s+/g, " ").trim();

/** The multi-column pages made by test/fixtures/real-tools/columns/make.sh and their text in reading order. */
export function columnPages(): { name: string; image: Buffer; text: string }[] {
  const folder = join(__dirname, "..", "test", "fixtures", "real-tools", "columns");
  const read = (file: string) => readFileSync(join(folder, file), "utf8").trim();
  return [
    {
      name: "newsletter: title over two serif columns",
      image: readFileSync(join(folder, "newsletter.png")),
      text: [read("newsletter-title.txt"), read("newsletter-1.txt"), read("newsletter-2.txt")].join("\n"),
    },
    {
      name: "notice: three narrow columns",
      image: readFileSync(join(folder, "notice.png")),
      text: [read("notice-1.txt"), read("notice-2.txt"), read("notice-3.txt")].join("\n"),
    },
    {
      name: "report: two columns photographed (turned 1 degree, noise, JPEG)",
      image: readFileSync(join(folder, "report-photo.jpg")),
      text: [read("report-1.txt"), read("report-2.txt")].join("\n"),
    },
  ];
}

/**
 * The engine's page layout (automatic segmentation against one block) on multi-column pages and on the
 * receipts, labels and single-column pages of the tesseract.js set, words compared in order.
 */
async function ocrLayoutSection(data: string, rows: EvalRow[]): Promise<void> {
  const folder = join(data, "ocr", "tesseractjs");
  const truth = JSON.parse(readFileSync(join(folder, "ground_truth.json"), "utf8")) as Record<string, string>;
  const singleColumn = Object.entries(truth)
    .filter(([file]) => file !== "chinese.png")
    .map(([file, text]) => ({ name: file, image: readFileSync(join(folder, "images", file)), text }));
  const languageData = gatherLanguageData(["eng"], mkdtempSync(join(tmpdir(), "wa-eval-tessdata-")));
  const prepare = { ...NO_PREPROCESSING, rotate: true, minWidth: 1000 };
  for (const layout of ["auto", "block"] as OcrLayout[]) {
    const worker = await createTesseractWorker(["eng"], languageData, false, layout);
    const score = async (pages: { image: Buffer; text: string }[]) => {
      let errors = 0;
      let chars = 0;
      for (const page of pages) {
        const { text } = await worker.run((await preprocessImage(page.image, prepare)).image);
        errors += editDistance(wordsOnly(page.text), wordsOnly(text));
        chars += wordsOnly(page.text).length;
      }
      return errors / chars;
    };
    const columns = columnPages();
    for (const page of columns) {
      rows.push({
        section: "media",
        dataset: `OCR layout ${layout}: ${page.name}`,
        metric: "OCR CER (words in reading order)",
        value: await score([page]),
        ...(layout === "auto" ? { target: "<= 0.05" } : {}),
      });
    }
    rows.push({
      section: "media",
      dataset: `OCR layout ${layout}: the ${columns.length} multi-column pages`,
      metric: "OCR CER (words in reading order)",
      value: await score(columns),
      ...(layout === "auto" ? { target: "<= 0.05" } : {}),
    });
    rows.push({
      section: "media",
      dataset: `OCR layout ${layout}: tesseract.js test images (${singleColumn.length}: labels, a page, a statement)`,
      metric: "OCR CER (words in reading order)",
      value: await score(singleColumn),
      ...(layout === "auto" ? { target: "<= 0.02" } : {}),
    });
    await worker.terminate();
  }
  rmSync(languageData, { recursive: true, force: true });
}

async function ocrSection(data: string, rows: EvalRow[]): Promise<void> {
  const folder = join(data, "ocr", "tesseractjs");
  const truth = JSON.parse(readFileSync(join(folder, "ground_truth.json"), "utf8")) as Record<string, string>;
  const images = Object.entries(truth).filter(([file]) => file !== "chinese.png"); // needs chi_tra, which the pack does not carry
  const languageData = gatherLanguageData(["eng"], mkdtempSync(join(tmpdir(), "wa-eval-tessdata-")));
  const worker = await createTesseractWorker(["eng"], languageData, true);
  await worker.run(readFileSync(join(folder, "images", "simple.png"))); // warm-up
  const defaults: PreprocessOptions = { ...NO_PREPROCESSING, rotate: true, minWidth: 1000 };
  const cer = async (list: [string, Buffer, string][], options: PreprocessOptions) => {
    let errors = 0;
    let chars = 0;
    let ms = 0;
    for (const [, image, expected] of list) {
      const input = options === NO_PREPROCESSING ? image : (await preprocessImage(image, options)).image;
      const started = performance.now();
      const { text } = await worker.run(input);
      ms += performance.now() - started;
      errors += editDistance(normalizeText(expected), normalizeText(text));
      chars += normalizeText(expected).length;
    }
    return { cer: errors / chars, msPerImage: ms / list.length };
  };
  const clean = images.map(([file, expected]) => [file, readFileSync(join(folder, "images", file)), expected] as [string, Buffer, string]);
  const plain = await cer(clean, NO_PREPROCESSING);
  rows.push({
    section: "media",
    dataset: `tesseract.js test images (${clean.length}, eng), as sent`,
    metric: "OCR CER",
    value: plain.cer,
    target: "<= 0.02",
    note: `${plain.msPerImage.toFixed(0)} ms per image`,
  });
  const prepared = await cer(clean, defaults);
  rows.push({
    section: "media",
    dataset: `tesseract.js test images (${clean.length}, eng), upright + enlarged below 1000 px`,
    metric: "OCR CER",
    value: prepared.cer,
    target: "<= 0.02",
    note: `${prepared.msPerImage.toFixed(0)} ms per image`,
  });

  const page = readFileSync(join(folder, "images", "testocr.png"));
  const bill = readFileSync(join(folder, "images", "bill.png"));
  const degraded: [string, Buffer, string][] = [
    ["page at 0.5x", await sharp(page).resize({ width: 320 }).png().toBuffer(), truth["testocr.png"]],
    ["statement at 0.6x", await sharp(bill).resize({ width: 574 }).png().toBuffer(), truth["bill.png"]],
    ["page at 0.6x, JPEG q40", await sharp(page).resize({ width: 384 }).jpeg({ quality: 40 }).toBuffer(), truth["testocr.png"]],
    [
      "page sideways, EXIF 6",
      await sharp(page).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer(),
      truth["testocr.png"],
    ],
    [
      "page sideways, EXIF 8",
      await sharp(page).rotate(90).withMetadata({ orientation: 8 }).jpeg({ quality: 90 }).toBuffer(),
      truth["testocr.png"],
    ],
  ];
  const rough = await cer(degraded, NO_PREPROCESSING);
  const fixed = await cer(degraded, defaults);
  rows.push({ section: "media", dataset: "5 degraded copies (small, JPEG, sideways), as sent", metric: "OCR CER", value: rough.cer });
  rows.push({ section: "media", dataset: "5 degraded copies, upright + enlarged below 1000 px", metric: "OCR CER", value: fixed.cer });

  // Pool overhead: the same images through the pool (queue, timers, bookkeeping) and straight to the worker.
  // Each image alternately first straight and first through the pool, so warm caches favour neither.
  const rounds = 4;
  const pool = new EnginePool<Buffer, OcrResult>(
    async () => worker,
    { label: "OCR", size: 1, timeoutMs: 60_000, startTimeoutMs: 60_000, maxWaiting: 1000 },
    systemClock,
  );
  let direct = 0;
  let pooled = 0;
  let engine = 0;
  const straight = async (image: Buffer) => {
    const started = performance.now();
    await worker.run(image);
    direct += performance.now() - started;
  };
  const throughPool = async (image: Buffer) => {
    const started = performance.now();
    engine += (await pool.run(image)).engineMs;
    pooled += performance.now() - started;
  };
  for (let r = 0; r < rounds; r++) {
    for (const [, image] of clean) {
      if (r % 2 === 0) {
        await straight(image);
        await throughPool(image);
      } else {
        await throughPool(image);
        await straight(image);
      }
    }
  }
  rows.push({
    section: "media",
    dataset: `OCR pool of 1 vs the bare worker, ${rounds * clean.length} images one at a time`,
    metric: "pool overhead",
    value: (pooled - direct) / direct,
    target: "< 0.10",
    note: `bare ${(direct / (rounds * clean.length)).toFixed(0)} ms/image, through the pool ${(pooled / (rounds * clean.length)).toFixed(0)} ms (engine ${(engine / (rounds * clean.length)).toFixed(0)})`,
  });
  await worker.terminate();
  rmSync(languageData, { recursive: true, force: true });
}

type Recording = { path: string; text: string; group: string };

async function transcribeAll(files: Recording[], mode: GrammarMode, phrases: string[], adaptation?: OfflineSpeechSettings["adaptation"]) {
  const thread = await startOfflineSpeechThread({ model: "en-us", mode, phrases, maxSeconds: 120, adaptation });
  const byGroup = new Map<string, { errors: number; words: number }>();
  let audioSeconds = 0;
  let ms = 0;
  for (const file of files) {
    const audio = readFileSync(file.path);
    const started = performance.now();
    const heard = await thread.run({ audio, container: file.path.endsWith(".ogg") ? "ogg" : "wav", language: "en-US" });
    ms += performance.now() - started;
    audioSeconds += heard.durationSeconds ?? 0;
    const scored = wordErrors(file.text, heard.text);
    for (const group of [file.group, "all"]) {
      const total = byGroup.get(group) ?? { errors: 0, words: 0 };
      total.errors += scored.errors;
      total.words += scored.words;
      byGroup.set(group, total);
    }
  }
  await thread.terminate();
  return { byGroup, rtf: ms / 1000 / audioSeconds, audioSeconds };
}

/**
 * The model adapted to the speakers (wa-transcribe's "Adapt to voices"), never to the recording it
 * recognises: the takes are split in two halves, each half recognised by a model adapted on the
 * other; and, for a voice it was not adapted to, each speaker recognised after adapting on the other.
 */
async function adaptedDigits(manifest: string[][], digits: Recording[], rows: EvalRow[]): Promise<void> {
  const takes = [...new Set(manifest.map((row) => Number(row[4])))].sort((a, b) => a - b);
  const firstHalf = new Set(takes.slice(0, Math.ceil(takes.length / 2)));
  const inFirstHalf = digits.map((_, i) => firstHalf.has(Number(manifest[i][4])));
  const speakers = [...new Set(digits.map((d) => d.group))];
  const dir = mkdtempSync(join(tmpdir(), "wa-eval-adapt-"));
  const recognise = async (adaptOn: Recording[], test: Recording[], name: string) => {
    const recordings = adaptOn.map((r) => ({ name: r.path, audio: new Uint8Array(readFileSync(r.path)), container: "wav", text: r.text }));
    const started = performance.now();
    const heard = await transcribeAll(test, "digits", [], {
      recordings,
      meansFile: join(dir, `${name}.means`),
      priorWeight: DEFAULT_PRIOR_WEIGHT,
    });
    return { ...heard, adaptMs: performance.now() - started };
  };
  const byTake = [
    await recognise(
      digits.filter((_, i) => inFirstHalf[i]),
      digits.filter((_, i) => !inFirstHalf[i]),
      "second-half",
    ),
    await recognise(
      digits.filter((_, i) => !inFirstHalf[i]),
      digits.filter((_, i) => inFirstHalf[i]),
      "first-half",
    ),
  ];
  const errors = byTake.reduce((sum, fold) => sum + fold.byGroup.get("all")!.errors, 0);
  const words = byTake.reduce((sum, fold) => sum + fold.byGroup.get("all")!.words, 0);
  rows.push({
    section: "media",
    dataset: `FSDD all ${digits.length}, offline digits adapted to the same speakers (each half of the takes after adapting on the other half)`,
    metric: "WER",
    value: errors / words,
    target: "<= 0.10",
    note: `prior weight ${DEFAULT_PRIOR_WEIGHT}; adapting on ${digits.length / 2} recordings and recognising ${digits.length / 2} took ${(byTake[0].adaptMs / 1000).toFixed(1)} s`,
  });
  if (speakers.length >= 2) {
    let otherErrors = 0;
    let otherWords = 0;
    for (const speaker of speakers) {
      const fold = await recognise(
        digits.filter((d) => d.group !== speaker),
        digits.filter((d) => d.group === speaker),
        `without-${speaker}`,
      );
      otherErrors += fold.byGroup.get("all")!.errors;
      otherWords += fold.byGroup.get("all")!.words;
    }
    rows.push({
      section: "media",
      dataset: `FSDD all ${digits.length}, offline digits adapted to the other speaker(s) only (a voice not among the recordings)`,
      metric: "WER",
      value: otherErrors / otherWords,
    });
  }
  rmSync(dir, { recursive: true, force: true });
}

const SENTENCES = [
  "where is my order",
  "i want to cancel my order",
  "can i talk to a person",
  "what time do you open tomorrow",
  "i paid yesterday but nothing arrived",
  "please send me the invoice",
  "do you deliver on sunday",
  "the package came damaged",
  "how much is the delivery",
  "thank you very much",
  "i need to change the address",
  "is the blue one still available",
];

async function speechSection(data: string, rows: EvalRow[]): Promise<void> {
  const folder = join(data, "audio", "fsdd");
  const manifest = readFileSync(join(folder, "manifest.csv"), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(","));
  const digits = manifest.map(([file, , text, speaker]) => ({ path: join(folder, file), text, group: speaker }));
  const fsdd = await transcribeAll(digits, "digits", []);
  for (const [group, total] of fsdd.byGroup) {
    rows.push({
      section: "media",
      dataset: `FSDD ${group === "all" ? `all ${digits.length} recordings` : `speaker ${group}`}, offline digits grammar`,
      metric: "WER",
      value: total.errors / total.words,
      target: group === "all" ? "<= 0.10" : undefined,
    });
  }
  rows.push({
    section: "media",
    dataset: `FSDD, offline (${fsdd.audioSeconds.toFixed(0)} s of audio)`,
    metric: "real-time factor",
    value: fsdd.rtf,
  });
  await adaptedDigits(manifest, digits, rows);

  const hasTools = ["espeak-ng", "opusenc"].every((tool) => {
    try {
      execFileSync(tool, ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
  if (!hasTools) {
    console.log(
      "media: espeak-ng and opusenc (Debian packages espeak-ng, opus-tools) are not here; the synthesised sentences are left out",
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "wa-eval-voice-"));
  const voices = ["en-us", "en-us+m3", "en-us+f3"];
  const notes: { path: string; text: string; group: string }[] = [];
  SENTENCES.forEach((sentence, i) => {
    for (const voice of voices) {
      const wav = join(dir, `${i}-${voice}.wav`);
      const ogg = wav.replace(/\.wav$/, ".ogg");
      execFileSync("espeak-ng", ["-v", voice, "-s", "150", "-w", wav, sentence]);
      execFileSync("opusenc", ["--quiet", "--bitrate", "24", wav, ogg]);
      notes.push({ path: ogg, text: sentence, group: voice });
    }
  });
  for (const mode of ["phrases", "words"] as const) {
    const heard = await transcribeAll(notes, mode, SENTENCES);
    const all = heard.byGroup.get("all")!;
    const label = mode === "phrases" ? "one of the 12 sentences" : "any sequence of their 53 words";
    rows.push({
      section: "media",
      dataset: `espeak-ng sentences as Ogg/Opus voice notes (${notes.length}, 3 voices), grammar: ${label}`,
      metric: "WER",
      value: all.errors / all.words,
      note: `RTF ${heard.rtf.toFixed(3)}, ${heard.audioSeconds.toFixed(0)} s of audio`,
    });
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Documents made here with known content: how much comes back exactly, and how fast. */
async function documentSection(rows: EvalRow[]): Promise<void> {
  const reader = await startDocumentThread({ ...DEFAULT_DOCUMENT_LIMITS, maxPages: 5000, maxUnpackedBytes: 50 * 1024 * 1024 });
  const pageTexts = ["Invoice BR-20931", "Customer Ana Souza, Rua Augusta 1200", "Total R$ 50,50"];
  const sheetRows = [
    ["Product", "Qty", "Price"],
    ...Array.from({ length: 999 }, (_, i) => [`Item ${i}`, String(i % 17), (i * 1.25).toFixed(2)]),
  ];
  const cases: { name: string; data: Buffer; check: (d: DocumentResult) => [number, number] }[] = [
    {
      name: "PDF, 3 pages",
      data: makePdf(pageTexts),
      check: (d) => [pageTexts.filter((t, i) => d.pages?.[i]?.text === t).length, pageTexts.length],
    },
    {
      name: "DOCX, 2 paragraphs + 3x2 table",
      data: makeDocx(
        ["Please deliver on Friday", "Order BR-20931"],
        [
          ["Item", "Qty"],
          ["Coffee", "2"],
          ["Filter", "40"],
        ],
      ),
      check: (d) => [
        (d.text.includes("Please deliver on Friday\nOrder BR-20931") ? 2 : 0) +
          d.tables[0].rows.flat().filter((c, i) => c === ["Item", "Qty", "Coffee", "2", "Filter", "40"][i]).length,
        8,
      ],
    },
    {
      name: "XLSX, 1,000 rows x 3 columns",
      data: makeXlsx([{ name: "Stock", rows: sheetRows.map((r, i) => (i === 0 ? r : [r[0], Number(r[1]), Number(r[2])])) }]),
      check: (d) => [
        d.tables[0].rows
          .flat()
          .filter((c, i) => (String(Number(c)) === c ? Number(c) === Number(sheetRows.flat()[i]) : c === sheetRows.flat()[i])).length,
        sheetRows.flat().length,
      ],
    },
  ];
  const coldStarted = performance.now();
  await reader.run({ data: makePdf(["warm up"]) });
  rows.push({
    section: "media",
    dataset: "document: first PDF after the thread starts (pdf.js loading)",
    metric: "ms to read",
    value: performance.now() - coldStarted,
  });
  let right = 0;
  let total = 0;
  for (const item of cases) {
    const started = performance.now();
    const document = await reader.run({ data: item.data });
    const ms = performance.now() - started;
    const [ok, of] = item.check(document);
    right += ok;
    total += of;
    rows.push({ section: "media", dataset: `document: ${item.name}`, metric: "ms to read", value: ms, note: `${ok}/${of} fields exact` });
  }
  rows.push({
    section: "media",
    dataset: "documents made by the eval (PDF, DOCX, XLSX)",
    metric: "fields extracted exactly",
    value: right / total,
  });
  const long = makePdf(Array.from({ length: 5000 }, (_, i) => `Statement line ${i}`));
  const started = performance.now();
  const read = await reader.run({ data: long });
  rows.push({
    section: "media",
    dataset: `PDF of 5,000 pages (${(long.length / 1024).toFixed(0)} KB), every page`,
    metric: "pages per second",
    value: (read.pages?.length ?? 0) / ((performance.now() - started) / 1000),
  });
  const bomb = makeZip({ "word/document.xml": Buffer.alloc(200 * 1024 * 1024, 0x20) }, { lieAboutSize: true });
  const bombStarted = performance.now();
  await reader.run({ data: bomb }).catch(() => undefined);
  rows.push({
    section: "media",
    dataset: `zip bomb: ${(bomb.length / 1024).toFixed(0)} KB inflating to 200 MB, 50 MB limit`,
    metric: "ms to refuse",
    value: performance.now() - bombStarted,
  });
  await reader.terminate();
}

export async function mediaSection(data: string, rows: EvalRow[]): Promise<void> {
  await documentSection(rows);
  if (existsSync(join(data, "ocr", "tesseractjs"))) {
    await ocrSection(data, rows);
    await ocrLayoutSection(data, rows);
  }
  if (existsSync(join(data, "audio", "fsdd")) && readdirSync(join(data, "audio", "fsdd")).length > 0) await speechSection(data, rows);
}
