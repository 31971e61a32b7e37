import { foldAccents, normalizeText, tokenize } from "./text";

/** A sparse vector: parallel arrays of feature indexes and values, indexes ascending. */
export interface SparseVector {
  indexes: Int32Array;
  values: Float32Array;
}

export interface FeatureOptions {
  /** Word n-grams from 1 to this. */
  wordNgrams: number;
  /** Character n-grams (inside words, padded with spaces) from min to max; 0 turns them off. */
  charMin: number;
  charMax: number;
  /** Features seen in fewer training texts are dropped. */
  minDocs: number;
}

export const DEFAULT_FEATURES: FeatureOptions = { wordNgrams: 2, charMin: 2, charMax: 5, minDocs: 2 };

function rawFeatures(text: string, options: FeatureOptions): string[] {
  const words = tokenize(foldAccents(normalizeText(text)));
  const out: string[] = [];
  for (let n = 1; n <= options.wordNgrams; n += 1) {
    for (let i = 0; i + n <= words.length; i += 1) out.push(`w${n}:${words.slice(i, i + n).join(" ")}`);
  }
  if (options.charMax > 0) {
    for (const word of words) {
      const padded = ` ${word} `;
      for (let n = options.charMin; n <= options.charMax; n += 1) {
        for (let i = 0; i + n <= padded.length; i += 1) out.push(`c:${padded.slice(i, i + n)}`);
      }
    }
  }
  return out;
}

/**
 * Word and character n-gram features with TF-IDF weights (sublinear term frequency, unit
 * length), a vocabulary learned from training texts. Character n-grams carry typos, plurals
 * and the mixed spellings of Hinglish or Portuguese without a stemmer per language.
 */
export class FeatureSpace {
  private constructor(
    readonly options: FeatureOptions,
    private readonly vocabulary: Map<string, number>,
    private readonly idf: Float32Array,
  ) {}

  get size(): number {
    return this.idf.length;
  }

  static fit(texts: string[], options: FeatureOptions = DEFAULT_FEATURES): FeatureSpace {
    const docFrequency = new Map<string, number>();
    for (const text of texts) {
      for (const feature of new Set(rawFeatures(text, options))) docFrequency.set(feature, (docFrequency.get(feature) ?? 0) + 1);
    }
    const vocabulary = new Map<string, number>();
    const idfValues: number[] = [];
    for (const [feature, count] of docFrequency) {
      if (count < options.minDocs) continue;
      vocabulary.set(feature, idfValues.length);
      idfValues.push(Math.log((1 + texts.length) / (1 + count)) + 1);
    }
    return new FeatureSpace(options, vocabulary, Float32Array.from(idfValues));
  }

  vector(text: string): SparseVector {
    const counts = new Map<number, number>();
    for (const feature of rawFeatures(text, this.options)) {
      const index = this.vocabulary.get(feature);
      if (index !== undefined) counts.set(index, (counts.get(index) ?? 0) + 1);
    }
    const indexes = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
    const values = new Float32Array(indexes.length);
    let norm = 0;
    indexes.forEach((index, i) => {
      const weight = (1 + Math.log(counts.get(index)!)) * this.idf[index];
      values[i] = weight;
      norm += weight * weight;
    });
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < values.length; i += 1) values[i] /= norm;
    return { indexes, values };
  }

  /** The vocabulary and its weights; `idf` as base64 float32, exact and a third of decimal JSON. */
  toJSON(): FeatureSpaceFile {
    const features = new Array<string>(this.vocabulary.size);
    for (const [feature, index] of this.vocabulary) features[index] = feature;
    return { options: this.options, features, idf: float32ToBase64(this.idf) };
  }

  static fromJSON(data: FeatureSpaceFile): FeatureSpace {
    const idf = base64ToFloat32(data.idf);
    if (!Array.isArray(data.features) || idf.length !== data.features.length) throw new Error("The feature file is damaged");
    return new FeatureSpace(data.options, new Map(data.features.map((f, i) => [f, i])), idf);
  }
}

export interface FeatureSpaceFile {
  options: FeatureOptions;
  features: string[];
  idf: string;
}

export function float32ToBase64(array: Float32Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString("base64");
}

export function base64ToFloat32(base64: string): Float32Array {
  const buffer = Buffer.from(String(base64), "base64");
  if (buffer.byteLength % 4 !== 0) throw new Error("The model file is damaged: a weight list is cut short");
  return new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
}
