import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

export const DEMO_RECEIPT = readFileSync(join(__dirname, "..", "..", "demo-media", "receipt.png"));

/** The demo receipt on yellowed, stained paper: colour that is noise to OCR. As PNG, or as a phone's JPEG. */
export async function stainedReceipt(format: "png" | "jpeg" = "png"): Promise<Buffer> {
  const { width, height } = await sharp(DEMO_RECEIPT).metadata();
  const stain = await sharp({ create: { width: width!, height: height!, channels: 4, background: { r: 235, g: 200, b: 90, alpha: 0.45 } } })
    .png()
    .toBuffer();
  const stained = sharp(DEMO_RECEIPT).composite([{ input: stain, blend: "multiply" }]);
  return (format === "jpeg" ? stained.jpeg({ quality: 90 }) : stained.png()).toBuffer();
}
