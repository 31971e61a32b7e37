import { foldAccents, normalizeText, tokenize } from "./text";

export interface StageRule {
  stage: string;
  /** Intent labels (from wa-intent) that move a chat to this stage. */
  intents: string[];
  /** Words or phrases (accents and case ignored) that do it too, for flows without an intent node. */
  keywords: string[];
}

export interface FlowOptions {
  stages: StageRule[];
  /** A customer question not answered within this long is reported once. */
  unansweredAfterMs: number;
  /** This many negative messages in a row is an escalation cue. */
  negativeStreak: number;
  /** Intents that are an explicit request for a human. */
  humanIntents: string[];
  /** Words that are one too (accents and case ignored), for flows without an intent node. */
  humanKeywords: string[];
  /** Response times kept per chat for the average. */
  keepResponseTimes: number;
}

export interface OpenQuestion {
  id: string;
  text: string;
  at: number;
  reported?: boolean;
}

export interface ChatFlowState {
  stage: string;
  stageSince: number;
  lastCustomerAt?: number;
  lastBusinessAt?: number;
  /** The oldest customer message not yet answered (response time runs from it). */
  waitingSince?: number;
  openQuestions: OpenQuestion[];
  negativeRun: number;
  responseTimesMs: number[];
  escalated: boolean;
}

export type FlowEvent =
  | { type: "stage"; from: string; to: string; by: string }
  | { type: "escalation"; reason: "human-requested" | "negative-streak"; detail: string }
  | { type: "unanswered"; question: OpenQuestion; waitingMs: number }
  | { type: "answered"; responseMs: number; questionsAnswered: number };

export type FlowInput =
  | { kind: "customer"; id: string; text: string; at: number; intent?: string; sentiment?: string }
  | { kind: "business"; at: number }
  | { kind: "tick"; at: number };

export const INITIAL_STAGE = "new";

export const DEFAULT_HUMAN_KEYWORDS = [
  "human",
  "person",
  "agent",
  "anyone",
  "anybody",
  "humano",
  "humana",
  "persona",
  "agente",
  "alguien",
  "atendente",
  "pessoa",
  "alguem",
  "insaan",
  "mensch",
  "mitarbeiter",
  "jemand",
  "humain",
  "conseiller",
  "quelqu'un",
];

export function initialFlowState(now: number): ChatFlowState {
  return { stage: INITIAL_STAGE, stageSince: now, openQuestions: [], negativeRun: 0, responseTimesMs: [], escalated: false };
}

/** A line of stages that cannot be read: its shape is wrong, or one of its parts is neither an intent nor a phrase. */
export type StageLineProblem = { line: number; reason: string } & ({ kind: "shape" } | { kind: "part"; part: string });

/** Stages as typed in the form: `stage: intent, intent, "key phrase"` per line. */
export function parseStageRules(source: string): { rules: StageRule[]; problems: StageLineProblem[] } {
  const rules: StageRule[] = [];
  const problems: StageLineProblem[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    const stage = colon > 0 ? line.slice(0, colon).trim() : "";
    if (!/^[\p{L}\p{N}_.-]{1,64}$/u.test(stage)) {
      problems.push({ line: i + 1, kind: "shape", reason: 'expected `stage: intent, intent, "phrase"`' });
      return;
    }
    const intents: string[] = [];
    const keywords: string[] = [];
    for (const part of line
      .slice(colon + 1)
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const quoted = /^"(.{1,100})"$/.exec(part);
      if (quoted) keywords.push(foldAccents(normalizeText(quoted[1])));
      else if (/^[\p{L}\p{N}_.:-]{1,100}$/u.test(part)) intents.push(part);
      else
        problems.push({
          line: i + 1,
          kind: "part",
          part: part.slice(0, 40),
          reason: `not an intent or a "quoted phrase": ${part.slice(0, 40)}`,
        });
    }
    rules.push({ stage, intents, keywords });
  });
  return { rules, problems };
}

// Question words that open a question in the pack's languages, for messages without "?".
const QUESTION_OPENERS = new Set(
  (
    "what where when why how who which can could do does did is are will would should may " +
    "que qué donde dónde cuando cuándo como cómo cuanto cuánto cuanta quien quién cual cual puede puedo tienen tiene hay " +
    "onde quando quanto quanta quem qual pode posso tem vocês voces " +
    "kya kab kahan kitna kitne kaise kaun kyun " +
    "was wo wann wie wer welche warum kann habt haben gibt " +
    "quoi ou quand comment combien qui quel quelle pourquoi avez pouvez"
  )
    .split(" ")
    .map((word) => foldAccents(word)),
);

export function isQuestion(text: string): boolean {
  if (/[?？¿]/.test(text)) return true;
  const words = tokenize(foldAccents(normalizeText(text)));
  return words.length > 1 && QUESTION_OPENERS.has(words[0]) && words.length <= 25;
}

function containsPhrase(words: string[], phrase: string): boolean {
  const target = tokenize(phrase);
  if (target.length === 0) return false;
  for (let i = 0; i + target.length <= words.length; i += 1) {
    if (target.every((w, k) => words[i + k] === w)) return true;
  }
  return false;
}

const MAX_OPEN_QUESTIONS = 20;

/**
 * Where a conversation is and what it needs: the stage (moved by intents or key phrases),
 * customer questions still waiting for an answer, response times, and escalation cues (a
 * request for a human, several negative messages in a row). Pure: the node keeps the state.
 */
export function advanceFlow(
  previous: ChatFlowState,
  input: FlowInput,
  options: FlowOptions,
): { state: ChatFlowState; events: FlowEvent[] } {
  const state: ChatFlowState = {
    ...previous,
    openQuestions: previous.openQuestions.map((q) => ({ ...q })),
    responseTimesMs: [...previous.responseTimesMs],
  };
  const events: FlowEvent[] = [];
  if (input.kind === "tick") {
    for (const question of state.openQuestions) {
      if (!question.reported && input.at - question.at >= options.unansweredAfterMs) {
        question.reported = true;
        events.push({ type: "unanswered", question: { ...question }, waitingMs: input.at - question.at });
      }
    }
    return { state, events };
  }
  if (input.kind === "business") {
    if (state.waitingSince !== undefined) {
      const responseMs = Math.max(0, input.at - state.waitingSince);
      state.responseTimesMs.push(responseMs);
      if (state.responseTimesMs.length > options.keepResponseTimes) state.responseTimesMs.shift();
      events.push({ type: "answered", responseMs, questionsAnswered: state.openQuestions.length });
    }
    state.waitingSince = undefined;
    state.openQuestions = [];
    state.lastBusinessAt = input.at;
    // Someone answered: a new request or a new run of complaints is a new cue.
    state.escalated = false;
    state.negativeRun = 0;
    return { state, events };
  }
  state.lastCustomerAt = input.at;
  state.waitingSince ??= input.at;
  if (isQuestion(input.text)) {
    state.openQuestions.push({ id: input.id, text: input.text.slice(0, 280), at: input.at });
    if (state.openQuestions.length > MAX_OPEN_QUESTIONS) state.openQuestions.shift();
  }
  const words = tokenize(foldAccents(normalizeText(input.text)));
  const rule = options.stages.find(
    (r) => (input.intent !== undefined && r.intents.includes(input.intent)) || r.keywords.some((k) => containsPhrase(words, k)),
  );
  if (rule && rule.stage !== state.stage) {
    events.push({
      type: "stage",
      from: state.stage,
      to: rule.stage,
      by: input.intent !== undefined && rule.intents.includes(input.intent) ? `intent ${input.intent}` : "key phrase",
    });
    state.stage = rule.stage;
    state.stageSince = input.at;
  }
  const asksForHuman =
    (input.intent !== undefined && options.humanIntents.includes(input.intent)) ||
    options.humanKeywords.some((k) => containsPhrase(words, k));
  if (asksForHuman && !state.escalated) {
    state.escalated = true;
    events.push({ type: "escalation", reason: "human-requested", detail: input.text.slice(0, 280) });
  }
  state.negativeRun = input.sentiment === "negative" ? state.negativeRun + 1 : input.sentiment === undefined ? state.negativeRun : 0;
  if (state.negativeRun >= options.negativeStreak && !state.escalated) {
    state.escalated = true;
    events.push({ type: "escalation", reason: "negative-streak", detail: `${state.negativeRun} negative messages in a row` });
  }
  return { state, events };
}

export function averageResponseMs(state: ChatFlowState): number | undefined {
  if (state.responseTimesMs.length === 0) return undefined;
  return Math.round(state.responseTimesMs.reduce((a, b) => a + b, 0) / state.responseTimesMs.length);
}
