import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ADAPTATION_LIMITS,
  GaussianTable,
  MeanAdaptation,
  SenoneWeights,
  alignedFrames,
  featureFrames,
  frontEndParams,
  gaussianOffset,
  parseAdaptationList,
  readCiPhones,
  readGaussianTable,
  readSenoneDump,
  writeGaussianTable,
} from "../../../src/core/media/speech/acoustic-adaptation";

import { WaError } from "../../../src/core/errors";
import { dictionaryWords } from "../../../src/core/media/speech/speech";

const modelFolder = path.join(path.dirname(require.resolve("soundswallower")), "model", "en-us");
const modelFile = (name: string) => new Uint8Array(readFileSync(path.join(modelFolder, name)));

/** A small table: 2 codebooks, 1 stream of 2 dimensions, 2 densities each. */
function table(values: number[]): GaussianTable {
  return { codebooks: 2, streams: 1, densities: 2, streamLengths: [2], values: Float32Array.from(values) };
}

describe("acoustic adaptation: model files", () => {
  it("reads the bundled model's means: 42 phone codebooks of 128 densities in three 13-dimension streams", () => {
    const means = readGaussianTable(modelFile("means"));
    assert.deepEqual([means.codebooks, means.streams, means.densities, means.streamLengths], [42, 3, 128, [13, 13, 13]]);
    assert.equal(means.values.length, 42 * 128 * 39);
    assert.ok(means.values.every(Number.isFinite));
  });

  it("writes a table that reads back the same", () => {
    const means = readGaussianTable(modelFile("means"));
    const again = readGaussianTable(writeGaussianTable(means));
    assert.deepEqual({ ...again, values: undefined }, { ...means, values: undefined });
    assert.deepEqual(again.values, means.values);
  });

  it("refuses a file that is not a model table, and one cut short", () => {
    assert.throws(
      () => readGaussianTable(new TextEncoder().encode("hello")),
      (e: WaError) => e.code === "config.invalid" && /no s3 header/.test(e.message),
    );
    const cut = writeGaussianTable(table([1, 2, 3, 4, 5, 6, 7, 8])).subarray(0, 60);
    assert.throws(() => readGaussianTable(cut), /shorter than its sizes say/);
  });

  it("reads the base phones in codebook order (sorted, the noise phones first) and the senones' weights", () => {
    const phones = readCiPhones(modelFile("mdef"));
    assert.equal(phones.length, 42);
    assert.deepEqual(phones.slice(0, 4), ["+NSN+", "+SPN+", "AA", "AE"]);
    assert.equal(phones[32], "SIL");
    const weights = readSenoneDump(modelFile("sendump"));
    assert.deepEqual([weights.streams, weights.densities, weights.senones], [3, 128, 5126]);
    // A senone's weights over its codebook add up to one (within the 8-bit quantisation).
    for (const senone of [0, 2000, 5125]) {
      let sum = 0;
      for (let k = 0; k < 128; k++) sum += Math.exp(weights.logWeight(1, k, senone));
      assert.ok(sum > 0.9 && sum <= 1.01, `senone ${senone}: ${sum}`);
    }
  });

  it("reads the French model the same way: one codebook for each of its 36 base phones", () => {
    const french = (name: string) => new Uint8Array(readFileSync(path.join(modelFolder, "..", "fr-fr", name)));
    const phones = readCiPhones(french("mdef"));
    assert.equal(readGaussianTable(french("means")).codebooks, phones.length);
    assert.equal(phones.length, 36);
    assert.ok(phones.includes("SIL") && phones.includes("an"));
  });

  it("takes the bundled front end and refuses one whose features it cannot rebuild", () => {
    const params = frontEndParams(JSON.parse(readFileSync(path.join(modelFolder, "feat_params.json"), "utf8")) as Record<string, unknown>);
    assert.deepEqual(params, { cepstra: 13, lifter: 22 });
    assert.throws(() => frontEndParams({ feat: "1s_c_d_dd", transform: "legacy", cmn: "current" }), /transform legacy/);
    assert.throws(() => frontEndParams({ feat: "s2_4x", transform: "dct", cmn: "current" }), /features s2_4x/);
  });
});

describe("acoustic adaptation: features", () => {
  const params = { cepstra: 3, lifter: 0 };

  it("turns a flat spectrum into zero features once the utterance's mean is removed", () => {
    const frames = featureFrames(new Float32Array(5 * 4).fill(7), 5, 4, params);
    assert.equal(frames.length, 5);
    for (const vector of frames) assert.deepEqual(Array.from(vector), new Array(9).fill(0));
  });

  it("computes the orthonormal DCT of each frame, and deltas over two frames either side", () => {
    // Frame t's spectrum is t times the first cosine of 4 filters: only c1 varies, as t * sqrt(4/2) = t * sqrt(2).
    const cosine = [0, 1, 2, 3].map((j) => Math.cos((Math.PI * (j + 0.5)) / 4));
    const logMel = Float32Array.from({ length: 7 * 4 }, (_, i) => Math.floor(i / 4) * cosine[i % 4]);
    const frames = featureFrames(logMel, 7, 4, params);
    const c1 = frames.map((v) => v[1]);
    c1.forEach((value, t) => assert.ok(Math.abs(value - (t - 3) * Math.SQRT2) < 1e-5, `c1 at ${t}: ${value}`));
    frames.forEach((v) => assert.ok(Math.abs(v[0]) < 1e-5 && Math.abs(v[2]) < 1e-5));
    // Delta in the middle: c1(t+2) - c1(t-2) = 4 sqrt(2); at the first frame the edge repeats: c1(2) - c1(0).
    assert.ok(Math.abs(frames[3][4] - 4 * Math.SQRT2) < 1e-5);
    assert.ok(Math.abs(frames[0][4] - 2 * Math.SQRT2) < 1e-5);
    // A straight line has no double delta away from the edges.
    assert.ok(Math.abs(frames[3][7]) < 1e-5);
  });

  it("lifts higher cepstra by the sine lifter", () => {
    const lifted = { cepstra: 3, lifter: 22 };
    const cosine2 = [0, 1, 2, 3].map((j) => Math.cos((2 * Math.PI * (j + 0.5)) / 4));
    const logMel = Float32Array.from({ length: 2 * 4 }, (_, i) => (i < 4 ? 0 : cosine2[i % 4]));
    const [first, second] = featureFrames(logMel, 2, 4, lifted);
    const gain = 1 + 11 * Math.sin((2 * Math.PI) / 22);
    assert.ok(Math.abs(second[2] - first[2] - Math.SQRT2 * gain) < 1e-5);
  });

  it("puts each aligned frame with its phone and senone", () => {
    const alignment = {
      t: "",
      b: 0,
      d: 0.3,
      w: [
        { t: "<sil>", b: 0, d: 0.1 },
        {
          t: "two",
          b: 0.1,
          d: 0.05,
          w: [
            {
              t: "T",
              b: 0.1,
              d: 0.03,
              w: [
                { t: "3993", b: 0.1, d: 0.01 },
                { t: "4011", b: 0.11, d: 0.02 },
              ],
            },
            { t: "UW", b: 0.13, d: 0.02, w: [{ t: "4600", b: 0.13, d: 0.02 }] },
          ],
        },
      ],
    };
    assert.deepEqual(alignedFrames(alignment), [
      { frame: 10, phone: "T", senone: 3993 },
      { frame: 11, phone: "T", senone: 4011 },
      { frame: 12, phone: "T", senone: 4011 },
      { frame: 13, phone: "UW", senone: 4600 },
      { frame: 14, phone: "UW", senone: 4600 },
    ]);
  });
});

describe("acoustic adaptation: moving the means", () => {
  const ciPhones = ["A", "B"];
  const variances = table([1, 1, 1, 1, 1, 1, 1, 1]);

  it("moves a mean towards the frames it explains by their count against the prior weight", () => {
    // Codebook A: densities at (0,0) and (10,10); codebook B untouched.
    const means = table([0, 0, 10, 10, 5, 5, 6, 6]);
    const adaptation = new MeanAdaptation({ means, variances, ciPhones });
    const features = [Float32Array.from([1, 1]), Float32Array.from([1, 1]), Float32Array.from([1, 1]), Float32Array.from([9, 11])];
    const used = adaptation.add(
      features,
      [0, 1, 2, 3].map((frame) => ({ frame, phone: "A", senone: 0 })),
    );
    assert.equal(used, 4);
    assert.equal(adaptation.frames, 4);
    const adapted = adaptation.adaptedMeans(3).values;
    // Three frames at (1,1) fall to the first density: (3*0 + 3*1) / (3 + 3) = 0.5.
    assert.ok(Math.abs(adapted[0] - 0.5) < 1e-3 && Math.abs(adapted[1] - 0.5) < 1e-3, `${adapted[0]}, ${adapted[1]}`);
    // One frame at (9,11) to the second: (3*10 + 9) / 4 = 9.75 and (3*10 + 11) / 4 = 10.25.
    assert.ok(Math.abs(adapted[2] - 9.75) < 1e-3 && Math.abs(adapted[3] - 10.25) < 1e-3);
    assert.deepEqual(Array.from(adapted.slice(4)), [5, 5, 6, 6]);
    // A larger prior weight moves them less.
    assert.ok(adaptation.adaptedMeans(30).values[0] < adapted[0]);
  });

  it("weighs densities by the senone's mixture weights", () => {
    const means = table([0, 0, 2, 2, 0, 0, 0, 0]);
    const frames = [{ frame: 0, phone: "A", senone: 0 }];
    const even = new MeanAdaptation({ means, variances, ciPhones });
    even.add([Float32Array.from([1, 1])], frames);
    // The frame sits halfway: without weights both densities take half of it.
    assert.ok(Math.abs(even.adaptedMeans(1).values[0] - 1 / 3) < 1e-3);
    const weights: SenoneWeights = { streams: 1, densities: 2, senones: 1, logWeight: (_f, k) => Math.log(k === 0 ? 0.99 : 0.01) };
    const weighted = new MeanAdaptation({ means, variances, ciPhones, weights });
    weighted.add([Float32Array.from([1, 1])], frames);
    assert.ok(weighted.adaptedMeans(1).values[0] > 0.45, "the heavy density takes nearly all of the frame");
  });

  it("skips frames of a phone without a codebook, past the features' end, or of an unknown senone", () => {
    const means = table([0, 0, 10, 10, 5, 5, 6, 6]);
    const weights: SenoneWeights = { streams: 1, densities: 2, senones: 2, logWeight: () => Math.log(0.5) };
    const adaptation = new MeanAdaptation({ means, variances, ciPhones, weights });
    const used = adaptation.add(
      [Float32Array.from([1, 1])],
      [
        { frame: 0, phone: "ZH", senone: 0 },
        { frame: 5, phone: "A", senone: 0 },
        { frame: 0, phone: "A", senone: 9 },
      ],
    );
    assert.equal(used, 0);
    assert.deepEqual(adaptation.adaptedMeans().values, means.values);
  });

  it("finds a Gaussian's place in codebook, stream, density order", () => {
    const means: GaussianTable = { codebooks: 2, streams: 2, densities: 3, streamLengths: [2, 1], values: new Float32Array(18) };
    assert.equal(gaussianOffset(means, 0, 0, 2), 4);
    assert.equal(gaussianOffset(means, 0, 1, 0), 6);
    assert.equal(gaussianOffset(means, 1, 1, 1), 9 + 6 + 1);
  });
});

describe("acoustic adaptation: the list of recordings", () => {
  it("reads file and text columns named in a header (FSDD's manifest)", () => {
    const list = "file,digit,text,speaker\n0_jackson_5.wav,0,zero,jackson\n7_nicolas_9.wav,7,Seven!,nicolas\n";
    const { entries, skipped } = parseAdaptationList(list, dictionaryWords);
    assert.deepEqual(entries, [
      { file: "0_jackson_5.wav", text: "zero" },
      { file: "7_nicolas_9.wav", text: "seven" },
    ]);
    assert.deepEqual(skipped, []);
  });

  it("reads file then words without a header, tab- or comma-separated, and names lines it leaves out", () => {
    const list = "# my callers\nana-1.ogg,four two seven\nana-2.ogg\tcancel my order\n\n,no file\nbob.ogg,  !!\n";
    const { entries, skipped } = parseAdaptationList(list, dictionaryWords);
    assert.deepEqual(entries, [
      { file: "ana-1.ogg", text: "four two seven" },
      { file: "ana-2.ogg", text: "cancel my order" },
    ]);
    assert.deepEqual(skipped, [
      { line: 5, reason: "no file" },
      { line: 6, reason: "no words" },
    ]);
  });

  it("stops at its limit of recordings", () => {
    const list = Array.from({ length: ADAPTATION_LIMITS.recordings + 3 }, (_, i) => `r${i}.wav,one`).join("\n");
    const { entries, skipped } = parseAdaptationList(list, dictionaryWords);
    assert.equal(entries.length, ADAPTATION_LIMITS.recordings);
    assert.equal(skipped.length, 3);
    assert.match(skipped[0].reason, /more than 2000 recordings/);
  });
});
