import sharp from "sharp";
import { WaError } from "../../core/errors";

export interface PreprocessOptions {
  /** Turn the photo upright as its EXIF orientation says (phones store rotated pixels plus a tag). */
  rotate: boolean;
  grayscale: boolean;
  /** Enlarge images narrower than this many pixels (small text reads better larger); 0: never. */
  minWidth: number;
  /** Black and white at this grey level (1-254); 0: off. */
  threshold: number;
}

export interface PreparedImage {
  image: Buffer;
  /** How much the width was enlarged: word boxes are divided by it. */
  scale: number;
  preprocessed: boolean;
}

export const NO_PREPROCESSING: PreprocessOptions = { rotate: false, grayscale: false, minWidth: 0, threshold: 0 };

/** Larger images are refused before decoding: a small PNG can claim billions of pixels. */
const MAX_PIXELS = 40_000_000;

export function wantsPreprocessing(options: PreprocessOptions): boolean {
  return options.rotate || options.grayscale || options.minWidth > 0 || options.threshold > 0;
}

/**
 * The image made easier to read, as PNG, and the factor its width was scaled by (to map word boxes
 * back). Formats libvips does not read (BMP, PBM) go to the OCR engine as they are.
 */
export async function preprocessImage(image: Buffer, options: PreprocessOptions): Promise<PreparedImage> {
  try {
    const input = sharp(image, { limitInputPixels: MAX_PIXELS, failOn: "error" });
    const meta = await input.metadata();
    let pipeline = options.rotate ? input.rotate() : input;
    const uprightWidth = (meta.orientation ?? 1) >= 5 && options.rotate ? meta.height : meta.width;
    let scale = 1;
    if (options.minWidth > 0 && uprightWidth && uprightWidth < options.minWidth) {
      scale = Math.min(4, options.minWidth / uprightWidth);
      pipeline = pipeline.resize({ width: Math.round(uprightWidth * scale), kernel: "lanczos3" });
    }
    if (options.grayscale || options.threshold > 0) pipeline = pipeline.grayscale();
    if (options.threshold > 0) pipeline = pipeline.threshold(options.threshold);
    return { image: await pipeline.png({ compressionLevel: 1 }).toBuffer(), scale, preprocessed: true };
  } catch (error) {
    const reason = String((error as Error)?.message ?? error).slice(0, 200);
    if (/unsupported image format/i.test(reason)) return { image, scale: 1, preprocessed: false };
    if (/pixel limit/i.test(reason)) throw new WaError("media.tooLarge", `The image has more than ${MAX_PIXELS} pixels`, { context: "pixels", max: MAX_PIXELS });
    throw new WaError("media.unreadable", `The media could not be read: ${reason}`, { reason });
  }
}

/** A JPEG that fits in `size` x `size` for images sharp can read; undefined for everything else. */
export async function imageThumbnail(data: Buffer, size: number): Promise<{ data: Buffer; mimetype: string } | undefined> {
  try {
    const thumb = await sharp(data, { limitInputPixels: MAX_PIXELS, failOn: "error" }).rotate().resize({ width: size, height: size, fit: "inside", withoutEnlargement: true }).jpeg({ quality: 70 }).toBuffer();
    return { data: thumb, mimetype: "image/jpeg" };
  } catch {
    return undefined;
  }
}
