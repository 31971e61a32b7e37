/**
 * Thread figures for npm run eval: pairwise F1 on the WhatsApp gold set (its own scorer) and on
 * the IRC disentanglement dev logs (Kummerfeld et al. 2019; lines 1000-1249 of each log are
 * scored, earlier lines are context), with the thread engine the wa-thread node runs.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

/** One figure of npm run eval. */
export interface EvalRow {
  section: string;
  dataset: string;
  metric: string;
  value: number;
  target?: string;
  note?: string;
}

interface GoldMessage {
  id: string;
  conversation: string;
  chat: string;
  from: string;
  timestamp: number;
  text: string;
  thread: string;
  quoted_id?: string;
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

function goldSection(data: string, rows: EvalRow[], withEntities: boolean): number {
  const messages = readFileSync(join(data, "whatsapp-gold/dev.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as GoldMessage);
  const states = new Map<string, ChatThreadState>();
  const started = performance.now();
  const predictions = messages.map((m) => {
    const isGroup = m.chat.endsWith("@g.us");
    const entityKeys = withEntities ? entityKeysOf(extractRuleEntities(m.text, { region: regionOfChat(isGroup ? m.from : m.chat) })) : [];
    const step = assignThread(
      states.get(m.conversation) ?? initialThreadState(),
      { id: m.id, from: m.from, text: m.text, at: m.timestamp * 1000, isGroup, quotedId: m.quoted_id, entityKeys },
      DEFAULT_THREAD_OPTIONS,
    );
    states.set(m.conversation, step.state);
    return { id: m.id, thread: `t${step.decision.number}` };
  });
  const ms = (performance.now() - started) / messages.length;
  const predFile = join(tmpdir(), `wa-eval-threads-${process.pid}.jsonl`);
  const scoreFile = join(tmpdir(), `wa-eval-threads-${process.pid}.json`);
  writeFileSync(predFile, predictions.map((p) => JSON.stringify(p)).join("\n") + "\n");
  execFileSync(
    process.execPath,
    [join(data, "whatsapp-gold/score.mjs"), join(data, "whatsapp-gold/dev.jsonl"), predFile, "--json", scoreFile],
    { stdio: "ignore" },
  );
  const scored = JSON.parse(readFileSync(scoreFile, "utf8")) as { threads: { p: number; r: number; f1: number; macro_f1: number } };
  rmSync(predFile, { force: true });
  rmSync(scoreFile, { force: true });
  const t = scored.threads;
  // Group chats and one-to-one chats apart: groups are where threading is hardest.
  const kinds = { group: { tp: 0, fp: 0, fn: 0 }, single: { tp: 0, fp: 0, fn: 0 } };
  for (const conversation of new Set(messages.map((m) => m.conversation))) {
    const inIt = messages.map((m, i) => [m, predictions[i]] as const).filter(([m]) => m.conversation === conversation);
    const counts = pairwise(
      inIt.map(([m]) => m.thread),
      inIt.map(([, p]) => p.thread),
    );
    const kind = inIt[0][0].chat.endsWith("@g.us") ? kinds.group : kinds.single;
    kind.tp += counts.tp;
    kind.fp += counts.fp;
    kind.fn += counts.fn;
  }
  rows.push({
    section: "threads",
    dataset: `whatsapp-gold dev (22 conversations)${withEntities ? ", with rule entities" : ", words only"}`,
    metric: "pairwise F1",
    value: t.f1,
    target: ">= 0.85",
    note: `P ${t.p.toFixed(3)} R ${t.r.toFixed(3)}, mean per conversation ${t.macro_f1.toFixed(3)}; group chats ${f1(kinds.group).toFixed(3)}, one-to-one ${f1(kinds.single).toFixed(3)}`,
  });
  const single = singleThreadBaseline(messages);
  if (withEntities)
    rows.push({
      section: "threads",
      dataset: "whatsapp-gold dev, baseline: one thread per conversation",
      metric: "pairwise F1",
      value: single,
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
  goldSection(data, rows, false);
  const ms = goldSection(data, rows, true);
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
