/**
 * Stage-2 figures on the WhatsApp gold pool (train.jsonl + dev.jsonl) by k-fold cross-validation
 * by conversation: every message is predicted by models trained without any message of its own
 * conversation, and all predictions are scored once with the data set's own scorer (score.mjs),
 * the one the blind set is scored with. Rules are not trained, so their figures on the pool are
 * held-out only where nobody tuned them: dev.jsonl was in view when they were written, train.jsonl
 * was not, which is why the rules also get a train-only row.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ThreadMessage } from "../src/core/nlu/threading";
import type { EvalRow } from "./threads";

export interface GoldEntity {
  type: string;
  start: number;
  end: number;
  text: string;
  value: unknown;
}

export interface GoldMessage {
  id: string;
  conversation: string;
  chat: string;
  from: string;
  timestamp: number;
  lang: string;
  text: string;
  entities: GoldEntity[];
  intent: string;
  sentiment: string;
  thread: string;
  quoted_id?: string;
  /** Which file of the pool the message came from. */
  split: "train" | "dev";
}

export interface Prediction {
  id: string;
  entities?: { type: string; start: number; end: number; text: string; value: unknown }[];
  intent?: string;
  sentiment?: string;
  thread?: string;
}

export const FOLDS = 5;

export function readGoldPool(data: string): GoldMessage[] {
  const read = (file: string, split: GoldMessage["split"]) =>
    readFileSync(join(data, "whatsapp-gold", file), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => ({ ...(JSON.parse(line) as Omit<GoldMessage, "split">), split }));
  return [...read("train.jsonl", "train"), ...read("dev.jsonl", "dev")];
}

export const isGroup = (m: Pick<GoldMessage, "chat">): boolean => m.chat.endsWith("@g.us");

/** A gold message as the thread engine gets it from wa-thread, with the entity keys found upstream. */
export function threadMessageOf(m: GoldMessage, entityKeys: string[]): ThreadMessage {
  return { id: m.id, from: m.from, text: m.text, at: m.timestamp * 1000, isGroup: isGroup(m), quotedId: m.quoted_id, entityKeys };
}

/**
 * The fold of each conversation: group chats and one-to-one chats each dealt round-robin in a
 * seeded shuffle, so every fold holds its share of both and of the dev conversations.
 */
export function conversationFolds(messages: GoldMessage[], k = FOLDS, seed = 7): Map<string, number> {
  let state = seed;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const first = new Map<string, GoldMessage>();
  for (const m of messages) if (!first.has(m.conversation)) first.set(m.conversation, m);
  const folds = new Map<string, number>();
  const kinds = [
    (m: GoldMessage) => isGroup(m) && m.split === "dev",
    (m: GoldMessage) => isGroup(m) && m.split === "train",
    (m: GoldMessage) => !isGroup(m) && m.split === "dev",
    (m: GoldMessage) => !isGroup(m) && m.split === "train",
  ];
  let dealt = 0;
  for (const kind of kinds) {
    const ids = [...first.values()]
      .filter(kind)
      .map((m) => m.conversation)
      .sort();
    for (let i = ids.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    for (const id of ids) folds.set(id, dealt++ % k);
  }
  return folds;
}

/** Predicts every message of a fold with what `train` built from the other folds. */
export function crossValidate(
  messages: GoldMessage[],
  folds: Map<string, number>,
  train: (training: GoldMessage[]) => (held: GoldMessage[]) => Prediction[],
  k = FOLDS,
): Prediction[] {
  const byId = new Map<string, Prediction>();
  for (let fold = 0; fold < k; fold += 1) {
    const predict = train(messages.filter((m) => folds.get(m.conversation) !== fold));
    for (const p of predict(messages.filter((m) => folds.get(m.conversation) === fold))) byId.set(p.id, p);
  }
  return messages.map((m) => byId.get(m.id) ?? { id: m.id });
}

interface Prf {
  p: number;
  r: number;
  f1: number;
}

export interface GoldScore {
  entities: { value_micro: Prf; span_micro: Prf; per_type: Record<string, { gold: number; pred: number; span: Prf; value: Prf }> };
  intent: { accuracy: number; macroF1: number; per: Record<string, Prf> };
  sentiment: { accuracy: number; macroF1: number; per: Record<string, Prf> };
  threads: Prf & { macro_f1: number; conversations: number };
}

/** Scores predictions of `gold` with the data set's scorer. */
export function scoreGold(data: string, gold: GoldMessage[], predictions: Prediction[]): GoldScore {
  const base = join(tmpdir(), `wa-eval-gold-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const goldFile = `${base}.gold.jsonl`;
  const predFile = `${base}.pred.jsonl`;
  const scoreFile = `${base}.json`;
  try {
    writeFileSync(goldFile, gold.map((m) => JSON.stringify(m)).join("\n") + "\n");
    writeFileSync(predFile, predictions.map((p) => JSON.stringify(p)).join("\n") + "\n");
    execFileSync(process.execPath, [join(data, "whatsapp-gold/score.mjs"), goldFile, predFile, "--json", scoreFile], { stdio: "ignore" });
    return JSON.parse(readFileSync(scoreFile, "utf8")) as GoldScore;
  } finally {
    for (const file of [goldFile, predFile, scoreFile]) rmSync(file, { force: true });
  }
}

/** The most frequent (gold → predicted) mix-ups, for the confusion summary. */
export function topConfusions(gold: string[], predicted: (string | undefined)[], count: number): string {
  const pairs = new Map<string, number>();
  gold.forEach((g, i) => {
    const p = predicted[i] ?? "(none)";
    if (p !== g) pairs.set(`${g} → ${p}`, (pairs.get(`${g} → ${p}`) ?? 0) + 1);
  });
  return [...pairs]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([pair, n]) => `${pair} ${n}`)
    .join(", ");
}

/** Pushes the entity rows of one scoring: every type (or those named), then the micro figure. */
export function entityRows(
  rows: EvalRow[],
  score: GoldScore,
  dataset: string,
  target?: { micro: string; perType: string },
  types?: readonly string[],
): void {
  for (const [type, figures] of Object.entries(score.entities.per_type)) {
    if ((figures.gold === 0 && figures.pred === 0) || (types && !types.includes(type))) continue;
    rows.push({
      section: "entities",
      dataset: `${dataset}: ${type} (${figures.gold})`,
      metric: "value F1",
      value: figures.value.f1,
      target: target?.perType,
      note: `span ${figures.span.f1.toFixed(3)}, P ${figures.value.p.toFixed(3)} R ${figures.value.r.toFixed(3)}`,
    });
  }
  rows.push({
    section: "entities",
    dataset: `${dataset}, all types`,
    metric: "micro value F1",
    value: score.entities.value_micro.f1,
    target: target?.micro,
    note: `span ${score.entities.span_micro.f1.toFixed(3)}`,
  });
}
