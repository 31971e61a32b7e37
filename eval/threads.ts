/**
 * Thread figures for npm run eval: the engine's time and a baseline on the WhatsApp gold pool
 * (its accuracy there is in stage2-cv.ts), and pairwise F1 on the IRC disentanglement dev logs (Kummerfeld et al. 2019; lines 1000-1249 of each log are
 * scored, earlier lines are context), with the thread engine the wa-thread node runs.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { extractRuleEntities, regionOfChat } from "../src/core/nlu/entities";
import {
  ChatThreadState,
  DEFAULT_THREAD_OPTIONS,
  ThreadOptions,
  assignThread,
  entityKeysOf,
  initialThreadState,
} from "../src/core/nlu/threading";
import { GoldMessage, readGoldPool, threadMessageOf } from "./gold-cv";

/** One figure of npm run eval. */
export interface EvalRow {
  section: string;
  dataset: string;
  metric: string;
  value: number;
  target?: string;
  note?: string;
}

/** Pairwise precision / recall / F1 of predicted clusters against gold clusters over the same items. */
export function pairwise(gold: string[], predicted: string[]): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < gold.length; i += 1) {
    for (let j = i + 1; j < gold.length; j += 1) {
      const sameGold = gold[i] === gold[j];
      const samePredicted = predicted[i] === predicted[j];
      if (sameGold && samePredicted) tp += 1;
      else if (samePredicted) fp += 1;
      else if (sameGold) fn += 1;
    }
  }
  return { tp, fp, fn };
}

const f1 = ({ tp, fp, fn }: { tp: number; fp: number; fn: number }) => (tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));

/** The engine's time per message over the gold pool; its accuracy is in the cross-validated rows (stage2-cv.ts). */
function goldTiming(data: string, rows: EvalRow[]): number {
  const messages = readGoldPool(data);
  const states = new Map<string, ChatThreadState>();
  const entityKeys = messages.map((m) =>
    entityKeysOf(extractRuleEntities(m.text, { region: regionOfChat(m.chat.endsWith("@g.us") ? m.from : m.chat) })),
  );
  const started = performance.now();
  messages.forEach((m, i) => {
    const step = assignThread(
      states.get(m.conversation) ?? initialThreadState(),
      threadMessageOf(m, entityKeys[i]),
      DEFAULT_THREAD_OPTIONS,
    );
    states.set(m.conversation, step.state);
  });
  const ms = (performance.now() - started) / messages.length;
  rows.push({
    section: "threads",
    dataset: "gold pool, baseline: one thread per conversation",
    metric: "pairwise F1",
    value: singleThreadBaseline(messages),
  });
  return ms;
}

function singleThreadBaseline(messages: GoldMessage[]): number {
  const byConversation = new Map<string, GoldMessage[]>();
  for (const m of messages) byConversation.set(m.conversation, [...(byConversation.get(m.conversation) ?? []), m]);
  const total = { tp: 0, fp: 0, fn: 0 };
  for (const group of byConversation.values()) {
    const counts = pairwise(
      group.map((m) => m.thread),
      group.map(() => "one"),
    );
    total.tp += counts.tp;
    total.fp += counts.fp;
    total.fn += counts.fn;
  }
  return f1(total);
}

const IRC_LINE = /^\[(\d\d):(\d\d)\] (?:<([^>]+)>|\* (\S+)) ?(.*)$/;

/** The IRC logs as a group chat: each nick a participant, "nick: …" addressing, system lines alone. */
function ircSection(data: string, rows: EvalRow[], options: ThreadOptions): number {
  const folder = join(data, "threads/irc-dev");
  const clusters = readFileSync(join(folder, "gold.dev.clusters.txt"), "utf8").split("\n").filter(Boolean);
  const goldOf = new Map<string, string>();
  clusters.forEach((line, i) => {
    const [sample, members] = line.split(":");
    for (const member of members.trim().split(/\s+/)) goldOf.set(`${sample}:${member}`, `c${i}`);
  });
  const total = { tp: 0, fp: 0, fn: 0 };
  let scoredMessages = 0;
  let spent = 0;
  let assigned = 0;
  for (const file of readdirSync(folder)
    .filter((f) => f.endsWith(".ascii.txt"))
    .sort()) {
    const sample = file.replace(".ascii.txt", "");
    const lines = readFileSync(join(folder, file), "utf8").split("\n");
    let state = initialThreadState();
    let dayOffset = 0;
    let lastMinute = -1;
    const gold: string[] = [];
    const predicted: string[] = [];
    const started = performance.now();
    for (let i = 0; i < Math.min(lines.length, 1250); i += 1) {
      const parsed = IRC_LINE.exec(lines[i]);
      let label: string;
      if (!parsed) {
        label = `system-${i}`;
      } else {
        const minute = Number(parsed[1]) * 60 + Number(parsed[2]);
        if (minute < lastMinute) dayOffset += 24 * 60;
        lastMinute = minute;
        const nick = parsed[3] ?? parsed[4];
        const step = assignThread(
          state,
          { id: String(i), from: nick, name: nick, text: parsed[5] ?? "", at: (dayOffset + minute) * 60_000 + i, isGroup: true },
          options,
        );
        state = step.state;
        label = `t${step.decision.number}`;
        assigned += 1;
      }
      if (i >= 1000 && goldOf.has(`${sample}:${i}`)) {
        gold.push(goldOf.get(`${sample}:${i}`)!);
        predicted.push(label);
      }
    }
    spent += performance.now() - started;
    const counts = pairwise(gold, predicted);
    total.tp += counts.tp;
    total.fp += counts.fp;
    total.fn += counts.fn;
    scoredMessages += gold.length;
  }
  const p = total.tp / Math.max(1, total.tp + total.fp);
  const r = total.tp / Math.max(1, total.tp + total.fn);
  rows.push({
    section: "threads",
    dataset: `IRC disentanglement dev (10 logs, ${scoredMessages} messages scored)`,
    metric: "pairwise F1",
    value: f1(total),
    target: ">= 0.85",
    note: `P ${p.toFixed(3)} R ${r.toFixed(3)}; close after ${options.closeAfterMs / 60_000} min, own thread ${options.participantReachMs / 60_000} min`,
  });
  return spent / Math.max(1, assigned);
}

export function threadSection(data: string, rows: EvalRow[]): void {
  const ms = goldTiming(data, rows);
  const ircMs = ircSection(data, rows, {
    ...DEFAULT_THREAD_OPTIONS,
    closeAfterMs: 15 * 60_000,
    participantReachMs: 3 * 60_000,
    resumeAfterMs: 15 * 60_000,
  });
  rows.push({
    section: "threads",
    dataset: "thread engine (gold / IRC)",
    metric: "ms per message",
    value: ms,
    target: "< 2",
    note: `IRC ${ircMs.toFixed(3)} ms`,
  });
}
