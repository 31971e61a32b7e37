import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import ocrNode from "../../src/nodes/wa-ocr";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilReal, useNodeHarness, useUserDir } from "./harness";
import { requirePrerequisite } from "../support/prerequisite";
import { stainedReceipt } from "../support/stained-receipt";

/** A PNG whose header claims a huge size, with no real pixel data after it. */
function pngClaiming(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", Buffer.alloc(16)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const IMAGES = join(__dirname, "..", "..", "..", "shared", "data", "ocr", "tesseractjs", "images");

describe("wa-ocr node (real tesseract.js, local language data)", function () {
  this.timeout(60_000);
  const harness = useNodeHarness();
  const userDir = useUserDir("wa-ocr", "all");
  async function load(props: Record<string, unknown> = {}) {
    await helper.load(
      ocrNode,
      inTab([
        {
          id: "o1",
          type: "wa-ocr",
          languages: "eng",
          poolSize: 1,
          timeoutSeconds: 30,
          maxMegabytes: 1,
          words: true,
          wires: [["out"]],
          ...props,
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
  }

  it("reads a photo's text with confidence and word boxes into msg.wa.media.ocr", async function () {
    requirePrerequisite(this, existsSync(IMAGES), "../shared/data/ocr is not beside this checkout");
    await load();
    const out = collect("out");
    const msg = envelope("447700900123@c.us", "");
    (msg.wa as { message: { media?: unknown } }).message.media = { mimetype: "image/png", data: readFileSync(join(IMAGES, "simple.png")) };
    getNode("o1").receive(msg);
    await untilReal(() => out.length === 1, 30_000);
    const ocr = (
      out[0].wa as {
        media: {
          ocr: { text: string; confidence: number; words: { text: string; bbox: { x0: number; x1: number } }[]; languages: string[] };
        };
      }
    ).media.ocr;
    assert.equal(ocr.text, "Tesseract.js");
    assert.ok(ocr.confidence > 80, String(ocr.confidence));
    assert.deepEqual(
      ocr.words.map((w) => w.text),
      ["Tesseract.js"],
    );
    assert.ok(ocr.words[0].bbox.x1 > ocr.words[0].bbox.x0);
    assert.deepEqual(ocr.languages, ["eng"]);
    assert.ok(existsSync(join(userDir(), "wa-pipeline", "tessdata", "eng.traineddata.gz")), "language data copied from the npm package");
  });

  it("reads the receipt the photo example ships (always here, no shared data needed)", async () => {
    await load({ languages: "eng+por" });
    const out = collect("out");
    getNode("o1").receive({ payload: readFileSync(join(__dirname, "..", "..", "demo-media", "receipt.png")) });
    await untilReal(() => out.length === 1, 30_000);
    const ocr = out[0].ocr as { text: string; words: unknown[] };
    assert.match(ocr.text, /Pedido BR-20931/);
    assert.match(ocr.text, /TOTAL R\$ 50,50/);
    assert.ok(ocr.words.length >= 15, String(ocr.words.length));
  });

  it("reads a page's columns one after the other with the auto layout, and line by line across them as one block", async () => {
    const columns = join(__dirname, "..", "fixtures", "real-tools", "columns");
    const page = readFileSync(join(columns, "newsletter.png"));
    const words = (file: string) => readFileSync(join(columns, file), "utf8").trim().split(/\s+/);
    const [first, second] = [words("newsletter-1.txt"), words("newsletter-2.txt")];
    const read = async (layout: string) => {
      await load({ layout, maxMegabytes: 2 });
      const out = collect("out");
      getNode("o1").receive({ payload: page });
      await untilReal(() => out.length === 1, 30_000);
      const text = (out[0].ocr as { text: string }).text.replace(/\s+/g, " ");
      await helper.unload();
      return text;
    };
    const auto = await read("auto");
    // The title, then the whole first column, then the second: the first column's last words come before the second's first.
    assert.ok(auto.startsWith("The Corner Bakery Weekly"), auto.slice(0, 80));
    assert.ok(auto.indexOf(first.slice(-3).join(" ")) < auto.indexOf(second.slice(0, 3).join(" ")), auto);
    assert.ok(auto.includes(first.slice(0, 6).join(" ")) && auto.includes(second.slice(-4).join(" ")), auto);
    const block = await read("block");
    // One block: the second column's first line is read before the first column's second line.
    assert.ok(block.indexOf("Deliveries now reach") < block.indexOf("the first loaves"), block);
  });

  it("turns a sideways photo upright by its EXIF tag and enlarges small print, giving boxes in the photo's own pixels", async () => {
    await load({ languages: "eng+por", rotate: true, minWidth: 1000 });
    const out = collect("out");
    const receipt = readFileSync(join(__dirname, "..", "..", "demo-media", "receipt.png"));
    const { width, height } = await sharp(receipt).metadata();
    // What a phone stores: pixels turned a quarter, and a tag saying how to show them.
    const sideways = await sharp(receipt)
      .resize({ width: Math.round(width! * 0.6) })
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 92 })
      .toBuffer();
    getNode("o1").receive({ payload: sideways });
    await untilReal(() => out.length === 1, 30_000);
    const ocr = out[0].ocr as { text: string; preprocessed: boolean; words: { bbox: { x1: number; y1: number } }[] };
    assert.equal(ocr.preprocessed, true);
    assert.match(ocr.text, /TOTAL R\$ 50,50/);
    const uprightWidth = Math.round(width! * 0.6);
    assert.ok(
      ocr.words.every((w) => w.bbox.x1 <= uprightWidth + 2 && w.bbox.y1 <= Math.round((height! * uprightWidth) / width!) + 2),
      "boxes inside the upright photo as sent",
    );
  });

  it("reads a receipt on stained paper through Grey scale and Black and white at", async () => {
    await load({ languages: "eng+por", grayscale: true, threshold: 150, rotate: false, minWidth: 0 });
    const out = collect("out");
    const stained = await stainedReceipt("jpeg");
    getNode("o1").receive({ payload: stained });
    await untilReal(() => out.length === 1, 30_000);
    const ocr = out[0].ocr as { text: string; preprocessed: boolean };
    assert.equal(ocr.preprocessed, true);
    assert.match(ocr.text, /TOTAL R\$ 50,50/);
  });

  it("reads a page over 16 megapixels scaled down to 16, with boxes in the page's own pixels", async () => {
    await load({ maxMegabytes: 10 });
    const out = collect("out");
    // 6000 × 3000 = 18 megapixels, with no preparation asked for: still read at 16 at most.
    const page = await sharp(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="3000"><rect width="100%" height="100%" fill="white"/><text x="300" y="1600" font-size="260" font-family="sans-serif">TOTAL 50.50</text></svg>',
      ),
    )
      .png()
      .toBuffer();
    getNode("o1").receive({ payload: page });
    await untilReal(() => out.length === 1, 60_000);
    const ocr = out[0].ocr as { text: string; preprocessed: boolean; words: { bbox: { x0: number; x1: number; y1: number } }[] };
    assert.match(ocr.text, /TOTAL 50\.50/);
    assert.equal(ocr.preprocessed, true, "scaled down before reading");
    assert.ok(
      ocr.words.some((w) => w.bbox.x0 > 250 && w.bbox.x0 < 400),
      `boxes in the page's own pixels: ${JSON.stringify(ocr.words.map((w) => w.bbox))}`,
    );
    assert.ok(ocr.words.every((w) => w.bbox.x1 <= 6002 && w.bbox.y1 <= 3002));
  });

  it("refuses an image that claims more pixels than the limit before decoding it", async () => {
    await load({ rotate: true, minWidth: 1000 });
    const errors = collect("errors");
    getNode("o1").receive({ payload: pngClaiming(60_000, 60_000) });
    await untilReal(() => errors.length === 1, 30_000);
    assert.match((errors[0].error as { message: string }).message, /more than 40000000 pixels/);
  });

  it("turns away what is not an image, too large, or missing, each with a reason on the Catch path", async () => {
    await load();
    const errors = collect("errors");
    getNode("o1").receive({ payload: Buffer.from("%PDF-1.7 not an image") });
    getNode("o1").receive({ payload: Buffer.alloc(2 * 1024 * 1024, 0xff) });
    getNode("o1").receive({ payload: "text only" });
    // A PNG signature with garbage after it gets to the engine, which must fail without taking the runtime down.
    getNode("o1").receive({
      payload: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]),
    });
    await untilReal(() => errors.length === 4, 30_000);
    const codes = errors.map((e) => (e.error as { message: string }).message);
    assert.match(codes[0], /not a PNG, JPEG/);
    assert.match(codes[1], /limit is 1048576/);
    assert.match(codes[2], /no image/);
    assert.match(codes[3], /could not be read/);
  });

  it("fails an image that takes longer than the time limit (fake clock) and stops at deploy without a language's data", async () => {
    await load({ timeoutSeconds: 5 });
    const errors = collect("errors");
    getNode("o1").receive({ payload: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]) });
    // The worker is still starting: the start has its own (longer) limit; then the read gets 5 s.
    await harness.clock().advanceAsync(61_000);
    await untilReal(() => errors.length === 1, 30_000);
    assert.match((errors[0].error as { message: string }).message, /did not start within 60 s|took longer than 5 s/);
    await helper.unload();
    await load({ languages: "eng+xyz" });
    const texts = getNode("o1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /install @tesseract.js-data\/xyz/.test(t)),
      texts.join(" | "),
    );
  });
});
