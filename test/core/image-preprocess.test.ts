import assert from "node:assert/strict";
import sharp from "sharp";
import { NO_PREPROCESSING, preprocessImage, wantsPreprocessing } from "../../src/core/media/ocr/image-preprocess";
import { DEMO_RECEIPT as RECEIPT, stainedReceipt } from "../support/stained-receipt";

async function pixelsOf(image: Buffer): Promise<{ channels: number; values: Set<number>; colourful: boolean }> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const values = new Set<number>();
  let colourful = false;
  for (let i = 0; i < data.length; i += info.channels) {
    values.add(data[i]);
    if (info.channels >= 3 && (data[i] !== data[i + 1] || data[i] !== data[i + 2])) colourful = true;
  }
  return { channels: info.channels, values, colourful };
}

describe("OCR image preparation (sharp, real pixels)", () => {
  it("leaves colour in when nothing is asked, and says nothing needs preparing", async () => {
    assert.equal(wantsPreprocessing(NO_PREPROCESSING), false);
    const before = await pixelsOf(await stainedReceipt());
    assert.equal(before.colourful, true, "the stained receipt has colour to remove");
  });

  it("Grey scale: one grey level per pixel, many levels kept", async () => {
    const prepared = await preprocessImage(await stainedReceipt(), { ...NO_PREPROCESSING, grayscale: true });
    assert.equal(prepared.preprocessed, true);
    assert.equal(prepared.scale, 1);
    const after = await pixelsOf(prepared.image);
    assert.equal(after.colourful, false);
    assert.ok(after.values.size > 16, `${after.values.size} grey levels`);
  });

  it("Black and white at a level: only black and white remain, the stain turns white", async () => {
    const prepared = await preprocessImage(await stainedReceipt(), { ...NO_PREPROCESSING, threshold: 150 });
    const after = await pixelsOf(prepared.image);
    assert.equal(after.colourful, false);
    assert.deepEqual(
      [...after.values].sort((a, b) => a - b),
      [0, 255],
    );
    const { data } = await sharp(prepared.image).raw().toBuffer({ resolveWithObject: true });
    assert.equal(data[0], 255, "the stained corner is paper, white");
  });

  it("Enlarge below: a narrow photo is scaled up to the width, and the factor is reported for word boxes", async () => {
    const { width } = await sharp(RECEIPT).metadata();
    const prepared = await preprocessImage(RECEIPT, { ...NO_PREPROCESSING, minWidth: width! * 2 });
    assert.equal(prepared.scale, 2);
    assert.equal((await sharp(prepared.image).metadata()).width, width! * 2);
  });

  it("passes a format sharp cannot read to the engine unchanged, and calls broken bytes unreadable", async () => {
    const bmpLike = Buffer.concat([Buffer.from("BM"), Buffer.alloc(200)]);
    const passed = await preprocessImage(bmpLike, { ...NO_PREPROCESSING, grayscale: true });
    assert.equal(passed.preprocessed, false);
    assert.equal(passed.image, bmpLike);
    const truncated = RECEIPT.subarray(0, 200);
    await assert.rejects(preprocessImage(truncated, { ...NO_PREPROCESSING, grayscale: true }), /media could not be read/);
  });
});
