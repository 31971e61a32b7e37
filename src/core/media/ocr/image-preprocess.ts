import sharp from "sharp";
import { WaError } from "../../errors";

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
  /** How much the width was scaled (enlarged small print, or a huge page made smaller): word boxes are divided by it. */
  scale: number;
  preprocessed: boolean;
  /** Pixels the engine will read (what its memory grows with); estimated from the bytes when unknown. */
  pixels: number;
}

/** Pixels of an image from its header, without decoding it; for formats libvips cannot read, a guess from its size. */
export async function imagePixels(image: Buffer): Promise<number> {
  try {
    const meta = await sharp(image, { limitInputPixels: false }).metadata();
    if (meta.width && meta.height) return meta.width * meta.height;
  } catch {
    // BMP, PBM: uncompressed, about three bytes a pixel.
  }
  return Math.round(image.length / 3);
}

export const NO_PREPROCESSING: PreprocessOptions = { rotate: false, grayscale: false, minWidth: 0, threshold: 0 };

/** Larger images are refused before decoding: a small PNG can claim billions of pixels. */
const MAX_PIXELS = 40_000_000;

/**
 * Larger images are scaled down to this many pixels before OCR: past it (a page scanned at well over
 * 300 dpi) the text is no easier to read, while the engine's memory grows by about 16 bytes a pixel.
 */
export const MAX_READ_PIXELS = 16_000_000;

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
    const turned = (meta.orientation ?? 1) >= 5 && options.rotate;
    const uprightWidth = turned ? meta.height : meta.width;
    const uprightHeight = turned ? meta.width : meta.height;
    let scale = 1;
    if (options.minWidth > 0 && uprightWidth && uprightWidth < options.minWidth) scale = Math.min(4, options.minWidth / uprightWidth);
    if (uprightWidth && uprightHeight && uprightWidth * uprightHeight * scale * scale > MAX_READ_PIXELS)
      scale = Math.sqrt(MAX_READ_PIXELS / (uprightWidth * uprightHeight));
    if (scale !== 1 && uprightWidth)
      pipeline = pipeline.resize({ width: Math.max(1, Math.round(uprightWidth * scale)), kernel: "lanczos3" });
    if (options.grayscale || options.threshold > 0) pipeline = pipeline.grayscale();
    if (options.threshold > 0) pipeline = pipeline.threshold(options.threshold);
    const { data, info } = await pipeline.png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
    return { image: data, scale, preprocessed: true, pixels: info.width * info.height };
  } catch (error) {
    const reason = String((error as Error)?.message ?? error).slice(0, 200);
    if (/unsupported image format/i.test(reason)) return { image, scale: 1, preprocessed: false, pixels: await imagePixels(image) };
    if (/pixel limit/i.test(reason))
      throw new WaError("media.tooLarge", `The image has more than ${MAX_PIXELS} pixels`, { context: "pixels", max: MAX_PIXELS });
    throw new WaError("media.unreadable", `The media could not be read: ${reason}`, { reason });
  }
}

/** A JPEG that fits in `size` x `size` for images sharp can read; undefined for everything else. */
export async function imageThumbnail(data: Buffer, size: number): Promise<{ data: Buffer; mimetype: string } | undefined> {
  try {
    const thumb = await sharp(data, { limitInputPixels: MAX_PIXELS, failOn: "error" })
      .rotate()
      .resize({ width: size, height: size, fit: "inside", withoutEnlargement: true })
      .jpeg({ quality: 70 })
      .toBuffer();
    return { data: thumb, mimetype: "image/jpeg" };
  } catch {
    return undefined;
  }
}
