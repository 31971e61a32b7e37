// Adapting the offline engine's acoustic model to the voices and line of a business's callers:
// maximum a posteriori (MAP) re-estimation of the model's Gaussian means from recordings whose
// words are known, the method of CMU Sphinx's own adaptation tools, computed here so no training
// tools are needed. The decoder aligns each recording to its words (which model state each 10 ms
// frame belongs to); the frames' features are rebuilt from the decoder's own log mel spectrum the
// way its front end builds them (cepstra, lifter, mean normalisation, deltas).
import { WaError } from "../../errors";

/** Gaussians of a Sphinx model file (means or variances): codebook, stream, density, then each dimension. */
export interface GaussianTable {
  codebooks: number;
  streams: number;
  densities: number;
  streamLengths: number[];
  values: Float32Array;
}

/** Mixture weights of each senone (tied model state) over its codebook's densities, per stream. */
export interface SenoneWeights {
  streams: number;
  densities: number;
  senones: number;
  /** Natural log of a weight. */
  logWeight(stream: number, density: number, senone: number): number;
}

/** What of the decoder's front end the features depend on (its feat_params.json). */
export interface FrontEndParams {
  cepstra: number;
  lifter: number;
}

/** One node of the decoder's alignment: a word, a phone, or (as a number) a senone; times in seconds. */
export interface AlignmentNode {
  t: string;
  b: number;
  d: number;
  w?: AlignmentNode[];
}

export interface AlignedFrame {
  frame: number;
  phone: string;
  senone: number;
}

export const ADAPTATION_LIMITS = {
  recordings: 2_000,
  listBytes: 1024 * 1024,
  recordingBytes: 10 * 1024 * 1024,
  totalBytes: 200 * 1024 * 1024,
  textChars: 300,
} as const;

/**
 * How far the means move: a mean seen in n frames becomes (prior * mean + n * their average) / (prior + n).
 * Chosen by two-fold cross-validation over FSDD's takes (adapt on one half, recognise the other):
 * 1 to 5 all give digit WER 0.035-0.04 against 0.175 unadapted; 10 gives 0.09. A voice the model was
 * not adapted to loses a little at 5 (0.175 -> 0.205, one speaker adapted, the other recognised).
 */
export const DEFAULT_PRIOR_WEIGHT = 5;

const BYTE_ORDER_MAGIC = 0x11223344;
/** The bundled models keep mixture weights as negative logs in base 1.0001, shifted right by 10 bits. */
const SENDUMP_LOG_UNIT = 1024 * Math.log(1.0001);
const VARIANCE_FLOOR = 1e-4;

function unsupported(what: string): WaError {
  return new WaError("config.invalid", `The offline model cannot be adapted: ${what}`, { field: "adaptList" });
}

function headerEnd(bytes: Uint8Array): number {
  const marker = "endhdr\n";
  const limit = Math.min(bytes.length, 4096);
  for (let i = 0; i + marker.length <= limit; i++) {
    let match = true;
    for (let j = 0; j < marker.length && match; j++) match = bytes[i + j] === marker.charCodeAt(j);
    if (match) return i + marker.length;
  }
  throw unsupported("a model file has no s3 header");
}

export function readGaussianTable(bytes: Uint8Array): GaussianTable {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = headerEnd(bytes);
  if (view.getUint32(start, true) !== BYTE_ORDER_MAGIC) throw unsupported("a model file is not little-endian");
  const codebooks = view.getInt32(start + 4, true);
  const streams = view.getInt32(start + 8, true);
  const densities = view.getInt32(start + 12, true);
  if (!(codebooks > 0 && streams > 0 && streams <= 8 && densities > 0)) throw unsupported("a model file's sizes make no sense");
  const streamLengths = Array.from({ length: streams }, (_, f) => view.getInt32(start + 16 + 4 * f, true));
  const countAt = start + 16 + 4 * streams;
  const count = view.getInt32(countAt, true);
  const dimensions = streamLengths.reduce((sum, n) => sum + n, 0);
  if (count !== codebooks * densities * dimensions || countAt + 4 + 4 * count > bytes.length)
    throw unsupported("a model file is shorter than its sizes say");
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat32(countAt + 4 + 4 * i, true);
  return { codebooks, streams, densities, streamLengths, values };
}

/** The table in the same s3 format (without a checksum, which the format makes optional). */
export function writeGaussianTable(table: GaussianTable): Uint8Array {
  const header = new TextEncoder().encode("s3\nversion 1.0\n      endhdr\n");
  const out = new Uint8Array(header.length + 4 * (5 + table.streams) + 4 * table.values.length);
  out.set(header);
  const view = new DataView(out.buffer);
  let at = header.length;
  const put = (value: number) => {
    view.setInt32(at, value, true);
    at += 4;
  };
  view.setUint32(at, BYTE_ORDER_MAGIC, true);
  at += 4;
  [table.codebooks, table.streams, table.densities, ...table.streamLengths, table.values.length].forEach(put);
  for (const value of table.values) {
    view.setFloat32(at, value, true);
    at += 4;
  }
  return out;
}

/** Where Gaussian `density` of `stream` in `codebook` starts in a table's values. */
export function gaussianOffset(table: GaussianTable, codebook: number, stream: number, density: number): number {
  const dimensions = table.streamLengths.reduce((sum, n) => sum + n, 0);
  let offset = codebook * table.densities * dimensions;
  for (let f = 0; f < stream; f++) offset += table.densities * table.streamLengths[f];
  return offset + density * table.streamLengths[stream];
}

export function readSenoneDump(bytes: Uint8Array): SenoneWeights {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("latin1");
  let at = 0;
  let streams = 0;
  for (;;) {
    if (at + 4 > bytes.length) throw unsupported("the mixture weights file ends in its header");
    const length = view.getInt32(at, true);
    at += 4;
    if (length === 0) break;
    if (length < 0 || length > 1024) throw unsupported("the mixture weights file is not little-endian");
    const line = decoder.decode(bytes.subarray(at, at + length - 1));
    at += length;
    const [key, value] = line.split(" ");
    if (key === "cluster_count" && value !== "0") throw unsupported("clustered mixture weights");
    if (key === "feature_count") streams = Number(value);
  }
  const densities = view.getInt32(at, true);
  const senones = view.getInt32(at + 4, true);
  at += 8;
  if (!(streams > 0 && densities > 0 && senones > 0) || at + streams * densities * senones > bytes.length)
    throw unsupported("the mixture weights file is shorter than its sizes say");
  const weights = bytes.subarray(at, at + streams * densities * senones);
  return {
    streams,
    densities,
    senones,
    logWeight: (stream, density, senone) => -weights[(stream * densities + density) * senones + senone] * SENDUMP_LOG_UNIT,
  };
}

/** The base phones of a binary model definition (mdef), in the order their codebooks take. */
export function readCiPhones(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== "BMDF" || view.getInt32(4, true) !== 1)
    throw unsupported("the model definition is not a little-endian binary mdef");
  let at = 12 + view.getInt32(8, true);
  const count = view.getInt32(at, true);
  if (!(count > 0 && count < 1000)) throw unsupported("the model definition's phone count makes no sense");
  at += 40;
  const phones: string[] = [];
  while (phones.length < count && at < bytes.length) {
    let end = at;
    while (end < bytes.length && bytes[end] !== 0) end++;
    phones.push(String.fromCharCode(...bytes.subarray(at, end)));
    at = end + 1;
  }
  return phones;
}

/** The front end the bundled models use; anything else would make the rebuilt features wrong. */
export function frontEndParams(featParams: Record<string, unknown>): FrontEndParams {
  if (featParams.feat !== "1s_c_d_dd") throw unsupported(`features ${String(featParams.feat)} (only 1s_c_d_dd)`);
  if (featParams.transform !== "dct") throw unsupported(`transform ${String(featParams.transform)} (only dct)`);
  if (featParams.cmn !== "current") throw unsupported(`mean normalisation ${String(featParams.cmn)} (only current)`);
  if (featParams.varnorm === true || featParams.lda !== undefined) throw unsupported("variance normalisation or a feature transform");
  return { cepstra: Number(featParams.ceplen ?? 13), lifter: Number(featParams.lifter ?? 0) };
}

/**
 * Feature vectors (cepstra, their deltas and double deltas) from a log mel spectrum of `frames` x
 * `filters` values, as Sphinx computes them: DCT-II with orthonormal scaling, sine lifter, the
 * utterance's mean removed, deltas over +-2 frames and double deltas over +-1 of +-2, edges repeated.
 */
export function featureFrames(logMel: Float32Array, frames: number, filters: number, params: FrontEndParams): Float32Array[] {
  const n = params.cepstra;
  const basis = Array.from({ length: n }, (_, i) =>
    Float64Array.from({ length: filters }, (_, j) =>
      i === 0 ? Math.sqrt(1 / filters) : Math.sqrt(2 / filters) * Math.cos((Math.PI * i * (j + 0.5)) / filters),
    ),
  );
  const lift = Array.from({ length: n }, (_, i) =>
    params.lifter > 0 ? 1 + (params.lifter / 2) * Math.sin((Math.PI * i) / params.lifter) : 1,
  );
  const cepstra: Float64Array[] = [];
  const mean = new Float64Array(n);
  for (let t = 0; t < frames; t++) {
    const row = logMel.subarray(t * filters, (t + 1) * filters);
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < filters; j++) sum += row[j] * basis[i][j];
      c[i] = sum * lift[i];
      mean[i] += c[i] / frames;
    }
    cepstra.push(c);
  }
  for (const c of cepstra) for (let i = 0; i < n; i++) c[i] -= mean[i];
  const at = (t: number) => cepstra[Math.min(frames - 1, Math.max(0, t))];
  return cepstra.map((c, t) => {
    const vector = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      vector[i] = c[i];
      vector[n + i] = at(t + 2)[i] - at(t - 2)[i];
      vector[2 * n + i] = at(t + 3)[i] - at(t - 1)[i] - (at(t + 1)[i] - at(t - 3)[i]);
    }
    return vector;
  });
}

/** Each aligned 10 ms frame with its phone and senone (the alignment's leaves are senone numbers). */
export function alignedFrames(alignment: AlignmentNode, frameRate = 100): AlignedFrame[] {
  const frames: AlignedFrame[] = [];
  const visit = (node: AlignmentNode) => {
    const children = node.w ?? [];
    if (children.length > 0 && children.every((child) => /^\d+$/.test(child.t) && !child.w)) {
      for (const state of children) {
        const first = Math.round(state.b * frameRate);
        const last = first + Math.round(state.d * frameRate);
        for (let frame = first; frame < last; frame++) frames.push({ frame, phone: node.t, senone: Number(state.t) });
      }
      return;
    }
    children.forEach(visit);
  };
  visit(alignment);
  return frames;
}

export interface AcousticModel {
  means: GaussianTable;
  variances: GaussianTable;
  /** Absent: each density of a codebook counts alike. */
  weights?: SenoneWeights;
  ciPhones: string[];
}

/**
 * Collects, for every Gaussian, how many frames it explains (its posterior summed) and their sum;
 * then moves each mean towards its frames' average by how much it saw.
 */
export class MeanAdaptation {
  /** Per Gaussian, in codebook, stream, density order. */
  private readonly occupancy: Float64Array;
  /** Per mean value. */
  private readonly sums: Float64Array;
  private readonly inverseVariance: Float32Array;
  private readonly logNormaliser: Float64Array;
  private frameCount = 0;

  constructor(private readonly model: AcousticModel) {
    const { means, variances } = model;
    if (variances.values.length !== means.values.length || variances.densities !== means.densities)
      throw unsupported("means and variances differ in size");
    if (model.weights && (model.weights.densities !== means.densities || model.weights.streams !== means.streams))
      throw unsupported("mixture weights and means differ in size");
    this.occupancy = new Float64Array(means.codebooks * means.streams * means.densities);
    this.sums = new Float64Array(means.values.length);
    this.inverseVariance = Float32Array.from(variances.values, (v) => 1 / Math.max(VARIANCE_FLOOR, v));
    this.logNormaliser = new Float64Array(means.codebooks * means.streams * means.densities);
    for (let cb = 0; cb < means.codebooks; cb++) {
      for (let f = 0; f < means.streams; f++) {
        for (let k = 0; k < means.densities; k++) {
          const offset = gaussianOffset(means, cb, f, k);
          let logDet = 0;
          for (let i = 0; i < means.streamLengths[f]; i++) logDet += Math.log(Math.max(VARIANCE_FLOOR, variances.values[offset + i]));
          this.logNormaliser[(cb * means.streams + f) * means.densities + k] = -0.5 * logDet;
        }
      }
    }
  }

  /** Frames added so far. */
  get frames(): number {
    return this.frameCount;
  }

  /** Which codebook a senone of `phone` draws on: one per senone, one per base phone (PTM), or one for all. */
  private codebookOf(phone: string, senone: number): number | undefined {
    const { codebooks } = this.model.means;
    if (codebooks === 1) return 0;
    if (codebooks === this.model.ciPhones.length) {
      const index = this.model.ciPhones.indexOf(phone);
      return index >= 0 ? index : undefined;
    }
    if (this.model.weights && codebooks === this.model.weights.senones) return senone;
    return undefined;
  }

  /** Adds one recording: its feature vectors and where its alignment put each frame. */
  add(features: Float32Array[], frames: AlignedFrame[]): number {
    const { means } = this.model;
    const posterior = new Float64Array(means.densities);
    let used = 0;
    for (const { frame, phone, senone } of frames) {
      const x = features[frame];
      const codebook = this.codebookOf(phone, senone);
      if (!x || codebook === undefined || (this.model.weights && senone >= this.model.weights.senones)) continue;
      let streamStart = 0;
      for (let f = 0; f < means.streams; f++) {
        const length = means.streamLengths[f];
        let best = -Infinity;
        for (let k = 0; k < means.densities; k++) {
          const offset = gaussianOffset(means, codebook, f, k);
          let score =
            this.logNormaliser[(codebook * means.streams + f) * means.densities + k] + (this.model.weights?.logWeight(f, k, senone) ?? 0);
          for (let i = 0; i < length; i++) {
            const diff = x[streamStart + i] - means.values[offset + i];
            score -= 0.5 * diff * diff * this.inverseVariance[offset + i];
          }
          posterior[k] = score;
          if (score > best) best = score;
        }
        let total = 0;
        for (let k = 0; k < means.densities; k++) total += posterior[k] = Math.exp(posterior[k] - best);
        for (let k = 0; k < means.densities; k++) {
          const share = posterior[k] / total;
          if (share < 1e-4) continue;
          const offset = gaussianOffset(means, codebook, f, k);
          this.occupancy[(codebook * means.streams + f) * means.densities + k] += share;
          for (let i = 0; i < length; i++) this.sums[offset + i] += share * x[streamStart + i];
        }
        streamStart += length;
      }
      used++;
    }
    this.frameCount += used;
    return used;
  }

  adaptedMeans(priorWeight = DEFAULT_PRIOR_WEIGHT): GaussianTable {
    const { means } = this.model;
    const values = new Float32Array(means.values.length);
    for (let cb = 0; cb < means.codebooks; cb++) {
      for (let f = 0; f < means.streams; f++) {
        for (let k = 0; k < means.densities; k++) {
          const seen = this.occupancy[(cb * means.streams + f) * means.densities + k];
          const offset = gaussianOffset(means, cb, f, k);
          for (let i = 0; i < means.streamLengths[f]; i++)
            values[offset + i] = (priorWeight * means.values[offset + i] + this.sums[offset + i]) / (priorWeight + seen);
        }
      }
    }
    return { ...means, streamLengths: [...means.streamLengths], values };
  }
}

export interface AdaptationEntry {
  file: string;
  /** Lower-case words, as the dictionary spells them. */
  text: string;
}

/**
 * A list of recordings and their words: CSV or tab-separated, one recording a line. With a header
 * naming `file` and `text` columns those are read (FSDD's manifest.csv is such a list); without one,
 * the first field is the file and the rest of the line its words.
 */
export function parseAdaptationList(
  text: string,
  toWords: (phrase: string) => string[],
): { entries: AdaptationEntry[]; skipped: { line: number; reason: string }[] } {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const split = (line: string) =>
    (line.includes("\t") ? line.split("\t") : line.split(",")).map((field) => field.trim().replace(/^"(.*)"$/, "$1"));
  const header = split(lines[0] ?? "").map((name) => name.toLowerCase());
  const hasHeader = header.includes("file") && header.includes("text");
  const fileColumn = hasHeader ? header.indexOf("file") : 0;
  const textColumn = hasHeader ? header.indexOf("text") : -1;
  const entries: AdaptationEntry[] = [];
  const skipped: { line: number; reason: string }[] = [];
  lines.forEach((line, index) => {
    if ((hasHeader && index === 0) || !line.trim() || line.trimStart().startsWith("#")) return;
    const fields = split(line);
    const file = fields[fileColumn] ?? "";
    const words = toWords((textColumn >= 0 ? (fields[textColumn] ?? "") : fields.slice(1).join(" ")).slice(0, ADAPTATION_LIMITS.textChars));
    if (!file) skipped.push({ line: index + 1, reason: "no file" });
    else if (words.length === 0) skipped.push({ line: index + 1, reason: "no words" });
    else if (entries.length >= ADAPTATION_LIMITS.recordings)
      skipped.push({ line: index + 1, reason: `more than ${ADAPTATION_LIMITS.recordings} recordings` });
    else entries.push({ file, text: words.join(" ") });
  });
  return { entries, skipped };
}
