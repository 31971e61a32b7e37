import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { ocrSchema } from "./schemas/wa-ocr";
import path from "node:path";
import { WaError } from "../core/errors";
import { EnginePool } from "../core/media/engine-pool";
import { OcrResult } from "../core/media/ocr/ocr";
import { sniffImageType } from "../core/media/media-types";
import {
  MAX_READ_PIXELS,
  NO_PREPROCESSING,
  PreparedImage,
  PreprocessOptions,
  imagePixels,
  preprocessImage,
  wantsPreprocessing,
} from "../core/media/ocr/image-preprocess";
import { mediaOf } from "./kit/media-message";
import { serveMediaStage } from "./kit/media-stage";
import { startNode, userDirOf } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef } from "./kit/red";
import { createTesseractWorker, languageDataFile } from "../core/media/ocr/tesseract-engine";

type OcrDef = NodeDef & FlowConfigOf<typeof ocrSchema>;

/**
 * A tesseract worker keeps the memory its largest image needed (about 16 bytes a pixel: a 40-megapixel
 * page left Node-RED at 820 MB). Pages are read at 16 megapixels at most; a worker is retired after a
 * page over 12 megapixels, after 150 megapixels in all, or after a minute with nothing to read, and the
 * next photo starts a fresh one.
 */
export const OCR_MEMORY_BOUNDS = { maxCostPerJob: 12_000_000, maxCostPerWorker: 150_000_000, idleRetireMs: 60_000 } as const;

export function ocrSettingsFromConfig(config: OcrDef) {
  const read = readSettingsBySchema(ocrSchema, config);
  const languages = read.languages.split("+");
  // A missing package is said at deploy, not on the first photo.
  for (const code of languages) languageDataFile(code);
  const preprocess: PreprocessOptions = {
    rotate: read.rotate,
    grayscale: read.grayscale,
    minWidth: read.minWidth,
    threshold: read.threshold,
  };
  return {
    languages,
    layout: read.layout,
    poolSize: read.poolSize,
    timeoutMs: read.timeoutSeconds * 1000,
    maxBytes: Math.round(read.maxMegabytes * 1024 * 1024),
    words: read.words,
    preprocess,
  };
}

export default function register(RED: NodeAPI): void {
  function WaOcr(this: Node, config: OcrDef) {
    const started = startNode(RED, this, config, () => ocrSettingsFromConfig(config));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const userDir = userDirOf(RED);
    const dataFolder = path.join(userDir, "wa-pipeline", "tessdata");
    // The image is prepared inside the pooled job: as many at once as there are workers, within the time limit.
    const startWorker = async () => {
      const worker = await createTesseractWorker(settings.languages, dataFolder, settings.words, settings.layout);
      const prepare = async (image: Buffer): Promise<PreparedImage> => {
        if (wantsPreprocessing(settings.preprocess)) return preprocessImage(image, settings.preprocess);
        const pixels = await imagePixels(image);
        // Even with no preparation asked for, a huge page is scaled down before the engine reads it.
        return pixels > MAX_READ_PIXELS ? preprocessImage(image, NO_PREPROCESSING) : { image, scale: 1, preprocessed: false, pixels };
      };
      return {
        run: async (image: Buffer) => {
          const prepared = await prepare(image);
          return {
            ...(await worker.run(prepared.image)),
            scale: prepared.scale,
            preprocessed: prepared.preprocessed,
            pixels: prepared.pixels,
          };
        },
        terminate: () => worker.terminate(),
      };
    };
    const pool = new EnginePool<Buffer, OcrResult & Omit<PreparedImage, "image">>(
      startWorker,
      {
        label: "OCR",
        size: settings.poolSize,
        timeoutMs: settings.timeoutMs,
        startTimeoutMs: 60_000,
        maxWaiting: 200,
        ...OCR_MEMORY_BOUNDS,
        costOf: (result) => result.pixels,
      },
      clock,
    );
    status.set(
      {
        fill: "grey",
        shape: "dot",
        text: nodeText("ocr.idle", `ready (${settings.languages.join("+")})`, { languages: settings.languages.join("+") }),
      },
      true,
    );
    serveMediaStage(RED, node, status, clock, pool, {
      key: "ocr",
      prepare(msg) {
        const image = mediaOf(msg)?.data;
        if (!image || image.length === 0)
          throw new WaError("media.unreadable", "The message carries no image (msg.wa.message.media.data or a Buffer in msg.payload)", {
            reason: "no image",
          });
        if (image.length > settings.maxBytes)
          throw new WaError("media.tooLarge", `The media is ${image.length} bytes; the limit is ${settings.maxBytes}`, {
            size: image.length,
            max: settings.maxBytes,
          });
        if (!sniffImageType(image))
          throw new WaError("media.unreadable", "The media could not be read: not a PNG, JPEG, GIF, BMP, WebP, TIFF or PNM image", {
            reason: "not a PNG, JPEG, GIF, BMP, WebP, TIFF or PNM image",
          });
        return image;
      },
      present(result) {
        // Boxes in the pixels of the upright photo as it was sent, not of the enlarged copy.
        const scale = result.scale;
        const words =
          scale === 1
            ? result.words
            : result.words.map((w) => ({
                ...w,
                bbox: {
                  x0: Math.round(w.bbox.x0 / scale),
                  y0: Math.round(w.bbox.y0 / scale),
                  x1: Math.round(w.bbox.x1 / scale),
                  y1: Math.round(w.bbox.y1 / scale),
                },
              }));
        return {
          text: result.text,
          confidence: result.confidence,
          words,
          languages: settings.languages,
          preprocessed: result.preprocessed,
          ms: Math.round(result.engineMs),
          waitedMs: Math.round(result.queuedMs),
        };
      },
    });
  }

  RED.nodes.registerType("wa-ocr", WaOcr);
}
