/**
 * A greedy left-to-right sequence tagger trained as an averaged perceptron (Collins 2002):
 * each token is scored from its own features plus the two tags chosen before it. Training
 * sees its own earlier guesses as history, as decoding will. BIO tags are kept valid while
 * decoding: an inside tag only continues a span of its own type.
 */
import { runToEnd } from "./stepped-training";

/** One training sequence: the features of each token, and its gold tag. */
export interface TaggedSequence {
  features: string[][];
  tags: string[];
}

export interface PerceptronOptions {
  epochs: number;
  seed: number;
}

export const DEFAULT_PERCEPTRON: PerceptronOptions = { epochs: 8, seed: 3 };

/** The tagger as a file: tags, and for each feature the weight of each tag (0 where absent). */
export interface PerceptronModel {
  format: "wa-perceptron-1";
  tags: string[];
  weights: Record<string, number[]>;
}

function seeded(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

/** Whether `tag` may follow `previous` in BIO: I-x only after B-x or I-x. */
function allowed(tag: string, previous: string): boolean {
  if (!tag.startsWith("I-")) return true;
  return previous.length > 2 && previous.slice(2) === tag.slice(2) && previous !== "O";
}

function historyFeatures(previous: string, beforePrevious: string): string[] {
  return [`t-1=${previous}`, `t-2,t-1=${beforePrevious},${previous}`];
}

export class PerceptronTagger {
  private constructor(
    readonly tags: readonly string[],
    private readonly weights: Map<string, Float32Array>,
  ) {}

  get featureCount(): number {
    return this.weights.size;
  }

  static train(sequences: TaggedSequence[], options: PerceptronOptions = DEFAULT_PERCEPTRON): PerceptronTagger {
    return runToEnd(PerceptronTagger.trainSteps(sequences, options));
  }

  /** The training loop as steps: every 64 sequences it yields the share done. */
  static *trainSteps(sequences: TaggedSequence[], options: PerceptronOptions = DEFAULT_PERCEPTRON): Generator<number, PerceptronTagger> {
    const tags = [...new Set(["O", ...sequences.flatMap((s) => s.tags)])].sort();
    const tagIndex = new Map(tags.map((t, i) => [t, i]));
    const classes = tags.length;
    // Averaging by timestamps: a weight's running total is brought up to date only when it changes.
    const weights = new Map<string, Float64Array>();
    const totals = new Map<string, Float64Array>();
    const stamps = new Map<string, Float64Array>();
    let clock = 0;
    const scores = new Float64Array(classes);
    const update = (feature: string, tag: number, by: number) => {
      let w = weights.get(feature);
      if (!w) {
        w = new Float64Array(classes);
        weights.set(feature, w);
        totals.set(feature, new Float64Array(classes));
        stamps.set(feature, new Float64Array(classes));
      }
      const total = totals.get(feature)!;
      const stamp = stamps.get(feature)!;
      total[tag] += (clock - stamp[tag]) * w[tag];
      stamp[tag] = clock;
      w[tag] += by;
    };
    const random = seeded(options.seed);
    const order = sequences.map((_, i) => i);
    for (let epoch = 0; epoch < options.epochs; epoch += 1) {
      for (let i = order.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let step = 0; step < order.length; step += 1) {
        if (step % 64 === 63) yield (epoch * order.length + step) / (options.epochs * order.length);
        const sequence = sequences[order[step]];
        let previous = "O";
        let beforePrevious = "O";
        for (let i = 0; i < sequence.tags.length; i += 1) {
          clock += 1;
          const features = [...sequence.features[i], ...historyFeatures(previous, beforePrevious)];
          const guess = bestTag(features, weights, tags, previous, scores);
          const truth = tagIndex.get(sequence.tags[i])!;
          if (guess !== truth) {
            for (const feature of features) {
              update(feature, truth, 1);
              update(feature, guess, -1);
            }
          }
          beforePrevious = previous;
          previous = tags[guess];
        }
      }
    }
    const averaged = new Map<string, Float32Array>();
    for (const [feature, w] of weights) {
      const total = totals.get(feature)!;
      const stamp = stamps.get(feature)!;
      const mean = new Float32Array(classes);
      let kept = false;
      for (let c = 0; c < classes; c += 1) {
        mean[c] = (total[c] + (clock - stamp[c]) * w[c]) / clock;
        if (Math.abs(mean[c]) >= 1e-4) kept = true;
      }
      if (kept) averaged.set(feature, mean);
    }
    return new PerceptronTagger(tags, averaged);
  }

  /** The tag of each token, given each token's own features; `outsideMargin` makes "O" win only by that much. */
  tag(tokenFeatures: string[][], outsideMargin = 0): string[] {
    const out: string[] = [];
    const scores = new Float64Array(this.tags.length);
    let previous = "O";
    let beforePrevious = "O";
    for (const own of tokenFeatures) {
      const features = own.concat(historyFeatures(previous, beforePrevious));
      const tag = this.tags[bestTag(features, this.weights, this.tags, previous, scores, outsideMargin)];
      out.push(tag);
      beforePrevious = previous;
      previous = tag;
    }
    return out;
  }

  toJSON(): PerceptronModel {
    const weights: Record<string, number[]> = {};
    // "|| 0": a -0 would not survive the file's JSON, and a retrained model must equal the file.
    for (const [feature, w] of this.weights) weights[feature] = Array.from(w, (x) => Math.round(x * 1000) / 1000 || 0);
    return { format: "wa-perceptron-1", tags: [...this.tags], weights };
  }

  static fromJSON(model: PerceptronModel): PerceptronTagger {
    if (model?.format !== "wa-perceptron-1" || !Array.isArray(model.tags) || typeof model.weights !== "object")
      throw new Error("Not a tagger model of this pack (format wa-perceptron-1)");
    const weights = new Map<string, Float32Array>();
    for (const [feature, w] of Object.entries(model.weights)) {
      if (!Array.isArray(w) || w.length !== model.tags.length)
        throw new Error(`Tagger model: feature ${feature} has the wrong number of weights`);
      weights.set(feature, Float32Array.from(w));
    }
    return new PerceptronTagger(model.tags, weights);
  }
}

function bestTag(
  features: readonly string[],
  weights: Map<string, ArrayLike<number>>,
  tags: readonly string[],
  previous: string,
  scores: Float64Array,
  outsideMargin = 0,
): number {
  scores.fill(0);
  for (const feature of features) {
    const w = weights.get(feature);
    if (!w) continue;
    for (let c = 0; c < scores.length; c += 1) scores[c] += w[c];
  }
  // Outside unless a tag scores higher: an unseen word starts nothing.
  let best = tags.indexOf("O");
  scores[best] -= outsideMargin;
  for (let c = 0; c < scores.length; c += 1) {
    if (allowed(tags[c], previous) && scores[c] > scores[best]) best = c;
  }
  return best;
}
