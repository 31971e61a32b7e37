import { foldAccents, normalizeText, tokenize } from "./text";

/**
 * Threads within one chat: which topic each message belongs to, from quoted replies, who it
 * addresses, cues that open a new topic, time gaps, the writer (in groups) and the words and
 * entities it shares with each open thread. One pure step per message over a small state that
 * the node keeps in a store.
 */
export interface ThreadOptions {
  /** A thread with no message for this long is closed. */
  closeAfterMs: number;
  /** A gap this long means the customer comes back: the message joins the thread it talks about. */
  resumeAfterMs: number;
  /** In groups, a participant's next message stays in their thread for this long. */
  participantReachMs: number;
  /** Least similarity (0..1) for a message to join a thread that is not the current one. */
  joinSimilarity: number;
  /**
   * Groups where at most this many people wrote in the last hour share topics: a message joins
   * a thread by shared words, and a writer goes back to their own thread while it is open. In a
   * busier group several conversations run at once, short messages share words by chance, and
   * who writes and whom they address say more (measured on the IRC and WhatsApp gold sets).
   * 0: never; a large number: always.
   */
  smallGroupWriters: number;
  /** Open threads kept per chat (the least recent is closed beyond it). */
  maxOpenThreads: number;
  /** Phrases (lower case, without accents) that open a new topic near a message's start. */
  newTopicCues: string[];
}

export const DEFAULT_NEW_TOPIC_CUES = [
  // English
  "btw",
  "by the way",
  "fyi",
  "another question",
  "one more thing",
  "unrelated",
  "different question",
  "separate question",
  "on another note",
  "something else",
  // Spanish
  "otra cosa",
  "otra pregunta",
  "por cierto",
  "cambiando de tema",
  "una pregunta mas",
  "aparte de eso",
  // Portuguese
  "aproveitando",
  "outra coisa",
  "outra pergunta",
  "mudando de assunto",
  "alias",
  "a proposito",
  "ja agora",
  // French
  "autre question",
  "au fait",
  "autre chose",
  "par ailleurs",
  "une autre question",
  // German
  "ubrigens",
  "andere frage",
  "noch eine frage",
  "noch etwas",
  "ganz andere sache",
  // Hinglish
  "ek aur",
  "aur ek",
  "ek baat aur",
  "dusri baat",
  "doosri baat",
];

export const DEFAULT_THREAD_OPTIONS: ThreadOptions = {
  closeAfterMs: 72 * 3_600_000,
  resumeAfterMs: 30 * 60_000,
  participantReachMs: 30 * 60_000,
  joinSimilarity: 0.2,
  smallGroupWriters: 6,
  maxOpenThreads: 8,
  newTopicCues: DEFAULT_NEW_TOPIC_CUES,
};

export interface ThreadMessage {
  id: string;
  /** The writer: the chat itself in a one-to-one chat, the participant in a group. */
  from: string;
  /** The writer's display name, so that "Ana: …" or "@Ana" can be told apart from other words. */
  name?: string;
  text: string;
  at: number;
  isGroup: boolean;
  quotedId?: string;
  /** Entity values found upstream (wa-entities): a shared order id ties messages together. */
  entityKeys?: string[];
}

export type ThreadReason =
  | "first"
  | "quote"
  | "addressed"
  | "new-topic"
  | "topic"
  | "resumed"
  | "participant"
  | "continued"
  | "after-closing"
  | "newcomer"
  | "reopened"
  | "aside";

export interface ThreadRecord {
  number: number;
  openedAt: number;
  lastAt: number;
  messages: number;
  participants: string[];
  /** Term -> count (capped), the thread's vocabulary. */
  terms: Record<string, number>;
  /** The last message was a thanks or goodbye. */
  closing: boolean;
  closed: boolean;
  /** A group's thread of asides (forwards, chain letters, scams, laughter). */
  aside?: boolean;
}

export interface ChatThreadState {
  next: number;
  current?: number;
  lastAt?: number;
  threads: ThreadRecord[];
  /** Recent message id -> thread number, for quoted replies. */
  messageThreads: [string, number][];
  /** Participant -> [thread number, last time]. */
  byParticipant: Record<string, [number, number]>;
  /** Participant -> [thread number, time] of the last message that spoke to them. */
  spokenToIn: Record<string, [number, number]>;
  /** Lower-case display name or number -> participant. */
  names: Record<string, string>;
  /** Messages seen, and in how many of them each term occurred (bounded). */
  documents: number;
  documentFrequency: Record<string, number>;
}

export interface ThreadDecision {
  number: number;
  isNew: boolean;
  reason: ThreadReason;
  similarity: number;
  messages: number;
  openedAt: number;
  participants: string[];
}

export interface ClosedThread {
  number: number;
  openedAt: number;
  lastAt: number;
  messages: number;
  participants: string[];
}

const KEEP_MESSAGE_IDS = 300;
const KEEP_CLOSED = 8;
const KEEP_NAMES = 200;
const TERM_CAP = 3;
const MAX_TERMS_PER_THREAD = 400;
const ENTITY_WEIGHT = 3;
const MAX_KNOWN_TERMS = 2000;

const STOPWORDS = new Set(
  // English
  (
    "the and for you your are was were this that with have has had not but can could would will what when where which who how why from they them their there here just also about into then than its it's i'm dont don't please pls thanks thank okay ok yes yeah hi hello hey one two get got any some all our out too very more much now still only really " +
    // Spanish
    "que los las del por para con una uno unos unas como pero mas muy este esta esto eso ese esa son fue hay tiene tengo tienen quiero puedo puede ustedes usted nos mis tus sus cuando donde porque gracias hola buen buenos dias sí tambien todo toda ya " +
    // Portuguese
    "que não nao uma umas uns com para por pra pro dos das nos nas meu minha seu sua vcs voce você isso esse essa este esta tem tenho quero mais muito obrigado obrigada bom dia ola oi tambem também ainda aqui ate até " +
    // French
    "les des une est pas pour que qui avec dans sur mon mes vos votre nous vous elle ils sont est-ce merci bonjour oui non aussi mais tres très plus " +
    // German
    "der die das und ist nicht ein eine einen mit für fur auf ich sie wir ihr sind war wie was wann noch auch aber bitte danke hallo den dem des vom zum zur " +
    // Hinglish
    "hai hain nahi nahin kya aur bhi mera meri mere aap kar karo kal abhi toh bhai bas hoga tha thi pe par mein main koi kuch ho gaya"
  )
    .split(/\s+/)
    .map((w) => foldAccents(w)),
);

const CLOSING_STEMS = [
  "thank",
  "thx",
  "cheers",
  "bye",
  "goodbye",
  "obrigad",
  "valeu",
  "gracias",
  "merci",
  "dank",
  "dhanyavad",
  "dhanyawad",
  "shukriya",
  "tchau",
  "adios",
  "ciao",
  "tschuss",
  "abraco",
  "saludos",
  "धन्यवाद",
];

/** The {@link KEEP_NAMES} most recent entries of a participant -> [thread, time] record. */
function newestOf(record: Record<string, [number, number]>): Record<string, [number, number]> {
  const entries = Object.entries(record);
  if (entries.length <= KEEP_NAMES) return record;
  return Object.fromEntries(entries.sort((a, b) => b[1][1] - a[1][1]).slice(0, KEEP_NAMES));
}

export function initialThreadState(): ChatThreadState {
  return { next: 1, threads: [], messageThreads: [], byParticipant: {}, spokenToIn: {}, names: {}, documents: 0, documentFrequency: {} };
}

function stem(word: string): string {
  const singular = word.length > 4 && word.endsWith("s") ? word.slice(0, -1) : word;
  return singular.slice(0, 6);
}

/** The message's content terms: words that are not function words, and upstream entity values. */
function contentTerms(words: string[], entityKeys: string[] = []): Map<string, number> {
  const terms = new Map<string, number>();
  for (const token of words) {
    if (token.length < 3 || STOPWORDS.has(token) || /^\d{1,2}$/.test(token) || /\p{Extended_Pictographic}/u.test(token)) continue;
    terms.set(stem(token), 1);
  }
  for (const key of entityKeys.slice(0, 20)) terms.set(`=${key.toLowerCase()}`, ENTITY_WEIGHT);
  return terms;
}

/**
 * How much of the message the thread already talks about: the share of the message's terms
 * (entities weigh more) found in the thread's vocabulary. Measured from the message's side, so
 * a long thread is not penalised for having said many other things.
 */
function similarity(message: Map<string, number>, thread: ThreadRecord, state: ChatThreadState): number {
  let shared = 0;
  let total = 0;
  for (const [term, weight] of message) {
    // Words the chat uses everywhere say little about which topic a message belongs to.
    const rarity = Math.log((state.documents + 2) / ((state.documentFrequency[term] ?? 0) + 1));
    total += weight * rarity;
    if (thread.terms[term] !== undefined) shared += weight * rarity;
  }
  return total <= 0 ? 0 : shared / total;
}

/** Words a message may open with before its real first words ("and one more thing", "ok btw"). */
const LEADING_FILLERS = new Set([
  "and",
  "ok",
  "okay",
  "oh",
  "ah",
  "so",
  "hey",
  "e",
  "y",
  "und",
  "et",
  "oiga",
  "ei",
  "ta",
  "bueno",
  "bom",
  "alors",
  "also",
]);

/** A cue among the first three words (after fillers): further in, "alias" or "by the way" are ordinary words. */
function startsNewTopic(words: string[], cues: string[]): boolean {
  let first = 0;
  while (first < words.length && LEADING_FILLERS.has(words[first])) first += 1;
  const opening = ` ${words.slice(first, first + 3).join(" ")} `;
  return cues.some((cue) => opening.includes(` ${cue} `));
}

/** Words that mark a group message as an aside: a forward, a chain letter, a scam warning, laughter. */
const FORWARDED_OR_SCAM = new Set([
  "fwd",
  "fw",
  "forwarded",
  "forward",
  "encaminhada",
  "encaminhado",
  "reenviado",
  "weitergeleitet",
  "transfere",
  "corrente",
  "cadena",
  "chain",
  "repasse",
  "scam",
  "scams",
  "golpe",
  "estafa",
  "arnaque",
  "betrug",
  "spam",
]);
const LAUGHTER = /^(?:k{3,}|(?:ha){2,}h?|(?:he){2,}|(?:ja){2,}j?|(?:je){2,}|rs(?:rs)+|lol|lmao|lmfao|rofl|hihi+)$/;

/** Words that put a question to the group's members rather than to the business ("gente, …?", "anyone …?"). */
const TO_THE_GROUP = new Set(["gente", "pessoal", "galera", "guys", "folks", "chicos", "leute"]);
const ANYONE = new Set(["alguem", "alguien", "anyone", "anybody", "someone", "somebody", "jemand", "quelqu'un"]);

/**
 * A group message plainly beside the chat's business: a forward, a chain or scam (or a word about
 * one), laughter, or, where `questionsCanBeAsides` (a small group's message that no open thread
 * talks about), a question put to the members ("alguém vai buscar a vovó?", "guys, who has the
 * keys?"). In a busy channel "anyone…?" is how most conversations start.
 */
function isAside(words: string[], text: string, questionsCanBeAsides: boolean): boolean {
  if (words.some((w) => FORWARDED_OR_SCAM.has(w) || LAUGHTER.test(w))) return true;
  return questionsCanBeAsides && text.includes("?") && (TO_THE_GROUP.has(words[0]) || words.some((w) => ANYONE.has(w)));
}

function isClosing(words: string[]): boolean {
  return words.length <= 14 && words.some((word) => CLOSING_STEMS.some((s) => word.startsWith(s)));
}

/** The participant a message speaks to: "Ana: …", "Ana, …" at its start, or "@Ana" / "@4477…" in it. */
function addressee(text: string, names: Record<string, string>, self: string): string | undefined {
  const start = /^\s*@?([^\s:,]{1,64})\s*[:,]/.exec(text);
  const candidates = start ? [start[1]] : [];
  for (const mention of text.slice(0, 2000).matchAll(/@([^\s:,.!?]{1,64})/g)) candidates.push(mention[1]);
  for (const candidate of candidates) {
    const who = names[candidate.toLowerCase()];
    if (who !== undefined && who !== self) return who;
  }
  return undefined;
}

const WRITERS_WINDOW_MS = 3_600_000;

/** How many people (this writer included) wrote in the group in the hour before this message. */
function recentWriters(state: ChatThreadState, message: ThreadMessage): number {
  let writers = 1;
  for (const [who, [, at]] of Object.entries(state.byParticipant))
    if (who !== message.from && message.at - at <= WRITERS_WINDOW_MS) writers += 1;
  return writers;
}

function closeQuiet(state: ChatThreadState, at: number, options: ThreadOptions): ClosedThread[] {
  const closed: ClosedThread[] = [];
  const open = state.threads.filter((t) => !t.closed);
  const overflow = Math.max(0, open.length - options.maxOpenThreads);
  const byAge = [...open].sort((a, b) => a.lastAt - b.lastAt);
  for (const [i, thread] of byAge.entries()) {
    if (i < overflow || at - thread.lastAt >= options.closeAfterMs) {
      thread.closed = true;
      closed.push({
        number: thread.number,
        openedAt: thread.openedAt,
        lastAt: thread.lastAt,
        messages: thread.messages,
        participants: thread.participants,
      });
    }
  }
  if (closed.length > 0 && state.current !== undefined && closed.some((c) => c.number === state.current)) state.current = undefined;
  const closedRecords = state.threads.filter((t) => t.closed);
  if (closedRecords.length > KEEP_CLOSED) {
    const drop = new Set(closedRecords.sort((a, b) => a.lastAt - b.lastAt).slice(0, closedRecords.length - KEEP_CLOSED));
    state.threads = state.threads.filter((t) => !drop.has(t));
  }
  return closed;
}

/** Closes threads that have been quiet too long (also called on a timer, without a message). */
export function closeQuietThreads(
  previous: ChatThreadState,
  at: number,
  options: ThreadOptions,
): { state: ChatThreadState; closed: ClosedThread[] } {
  const state = copyOfState(previous);
  return { state, closed: closeQuiet(state, at, options) };
}

/** A chat's state is plain JSON (it is stored as JSON): a JSON round trip copies it, far faster than structuredClone. */
function copyOfState(state: ChatThreadState): ChatThreadState {
  return JSON.parse(JSON.stringify(state)) as ChatThreadState;
}

/** Places one message in a thread; `previous` is left as it was. */
export function assignThread(
  previous: ChatThreadState,
  message: ThreadMessage,
  options: ThreadOptions = DEFAULT_THREAD_OPTIONS,
): { state: ChatThreadState; decision: ThreadDecision; closed: ClosedThread[] } {
  return assignThreadInPlace(copyOfState(previous), message, options);
}

/**
 * Places one message in a thread, changing `state` itself and returning it: for a caller that owns
 * its copy, such as one just read from the store, so the state is not copied once more per message.
 */
export function assignThreadInPlace(
  state: ChatThreadState,
  message: ThreadMessage,
  options: ThreadOptions = DEFAULT_THREAD_OPTIONS,
): { state: ChatThreadState; decision: ThreadDecision; closed: ClosedThread[] } {
  const closed = closeQuiet(state, message.at, options);
  const words = tokenize(foldAccents(normalizeText(message.text)));
  const terms = contentTerms(words, message.entityKeys);
  const open = state.threads.filter((t) => !t.closed);
  const byNumber = (n: number | undefined) => (n === undefined ? undefined : state.threads.find((t) => t.number === n));
  const current = byNumber(state.current);
  const latest = open.reduce<ThreadRecord | undefined>((a, t) => (a === undefined || t.lastAt > a.lastAt ? t : a), undefined);
  const gap = state.lastAt === undefined ? 0 : message.at - state.lastAt;
  const scored = open.map((thread) => ({ thread, score: similarity(terms, thread, state) })).sort((a, b) => b.score - a.score);
  const best = scored[0];
  const scoreOf = (thread: ThreadRecord | undefined) => scored.find((s) => s.thread === thread)?.score ?? 0;
  const smallGroup = message.isGroup && recentWriters(state, message) <= options.smallGroupWriters;
  const joinAt = message.isGroup && !smallGroup ? Number.POSITIVE_INFINITY : options.joinSimilarity;
  const topicMatch = best && best.score >= joinAt ? best : undefined;

  let chosen: ThreadRecord | undefined;
  let reason: ThreadReason = "first";
  const quoted = message.quotedId === undefined ? undefined : state.messageThreads.find(([id]) => id === message.quotedId)?.[1];
  const spokenTo = message.isGroup ? addressee(message.text, state.names, message.from) : undefined;
  const own = message.isGroup ? state.byParticipant[message.from] : undefined;
  // Someone spoke to this participant after their own last message: the answer goes there.
  const spokenToMe = message.isGroup ? state.spokenToIn[message.from] : undefined;
  const latestOwn = spokenToMe && (!own || spokenToMe[1] > own[1]) ? spokenToMe : own;
  const ownThread = latestOwn && message.at - latestOwn[1] <= options.participantReachMs ? byNumber(latestOwn[0]) : undefined;
  const ownOpenThread = latestOwn ? open.find((t) => t.number === latestOwn[0]) : undefined;
  const addressedThread = spokenTo === undefined ? undefined : byNumber(state.byParticipant[spokenTo]?.[0]);

  if (quoted !== undefined && byNumber(quoted)) {
    chosen = byNumber(quoted);
    reason = chosen?.closed ? "reopened" : "quote";
  } else if (addressedThread && !addressedThread.closed) {
    chosen = addressedThread;
    reason = "addressed";
  } else if (open.length > 0 && startsNewTopic(words, options.newTopicCues)) {
    reason = "new-topic";
  } else if (open.length === 0) {
    reason = "first";
  } else if (message.isGroup && isAside(words, message.text, smallGroup && !(best && best.score >= options.joinSimilarity))) {
    // Asides in a business group share one thread, away from the orders their writers are on.
    chosen = open.filter((t) => t.aside).sort((a, b) => b.lastAt - a.lastAt)[0];
    reason = "aside";
  } else if (message.isGroup) {
    if (ownThread && !ownThread.closed && !(topicMatch && topicMatch.thread !== ownThread && scoreOf(ownThread) < joinAt / 2)) {
      chosen = ownThread;
      reason = "participant";
    } else if (topicMatch) {
      chosen = topicMatch.thread;
      reason = "topic";
    } else if (ownThread && !ownThread.closed) {
      chosen = ownThread;
      reason = "participant";
    } else if (smallGroup && ownOpenThread) {
      // In a small group a writer who was away comes back to what they were on.
      chosen = ownOpenThread;
      reason = "resumed";
    } else {
      reason = "newcomer";
    }
  } else if (gap >= options.resumeAfterMs) {
    // After a pause any shared word is evidence: the customer comes back to what they were waiting for.
    const resumedMatch = best && best.score > 0 ? best : undefined;
    // With no word to go by, the customer is most likely back on the chat's main matter: its longest open
    // thread, the earliest of equals (what they came for).
    const main = open.reduce<ThreadRecord | undefined>((a, t) => (a === undefined || t.messages > a.messages ? t : a), undefined);
    chosen = resumedMatch?.thread ?? main ?? current ?? latest;
    reason = resumedMatch ? "topic" : "resumed";
  } else if (
    topicMatch &&
    current &&
    topicMatch.thread !== current &&
    topicMatch.score >= 2 * options.joinSimilarity &&
    scoreOf(current) < options.joinSimilarity
  ) {
    chosen = topicMatch.thread;
    reason = "topic";
  } else if (
    current &&
    current.closing &&
    !isClosing(words) &&
    terms.size >= 3 &&
    (scoreOf(current) < options.joinSimilarity || (topicMatch && topicMatch.thread !== current && topicMatch.score > scoreOf(current)))
  ) {
    // A thanks ends the current matter: what comes next goes where it fits best, or opens a thread.
    chosen = topicMatch?.thread;
    reason = topicMatch ? "topic" : "after-closing";
  } else {
    chosen = current ?? latest;
    reason = "continued";
  }

  const isNew = chosen === undefined;
  if (!chosen) {
    chosen = {
      number: state.next,
      openedAt: message.at,
      lastAt: message.at,
      messages: 0,
      participants: [],
      terms: {},
      closing: false,
      closed: false,
      ...(reason === "aside" ? { aside: true } : {}),
    };
    state.next += 1;
    state.threads.push(chosen);
  }
  const similarityToChosen = isNew ? 0 : scoreOf(chosen);
  chosen.closed = false;
  chosen.messages += 1;
  chosen.lastAt = Math.max(chosen.lastAt, message.at);
  chosen.closing = isClosing(words);
  if (!chosen.participants.includes(message.from) && chosen.participants.length < 50) chosen.participants.push(message.from);
  for (const term of terms.keys()) {
    if (chosen.terms[term] === undefined && Object.keys(chosen.terms).length >= MAX_TERMS_PER_THREAD) continue;
    chosen.terms[term] = Math.min(TERM_CAP, (chosen.terms[term] ?? 0) + 1);
  }

  state.documents += 1;
  for (const term of terms.keys()) state.documentFrequency[term] = (state.documentFrequency[term] ?? 0) + 1;
  const known = Object.keys(state.documentFrequency);
  if (known.length > MAX_KNOWN_TERMS) {
    // Keep the commoner terms: a forgotten rare term only looks rare again, which is right.
    const keep = known.sort((a, b) => state.documentFrequency[b] - state.documentFrequency[a]).slice(0, MAX_KNOWN_TERMS / 2);
    state.documentFrequency = Object.fromEntries(keep.map((term) => [term, state.documentFrequency[term]]));
  }
  state.current = chosen.number;
  state.lastAt = state.lastAt === undefined ? message.at : Math.max(state.lastAt, message.at);
  state.messageThreads.push([message.id, chosen.number]);
  if (state.messageThreads.length > KEEP_MESSAGE_IDS) state.messageThreads.splice(0, state.messageThreads.length - KEEP_MESSAGE_IDS);
  if (message.isGroup) {
    // An aside does not move its writer: their next message goes back to what they were on.
    if (reason !== "aside") state.byParticipant = newestOf({ ...state.byParticipant, [message.from]: [chosen.number, message.at] });
    const spokenToIn = Object.entries(state.spokenToIn).filter(([who]) => who !== message.from);
    if (spokenTo !== undefined) spokenToIn.push([spokenTo, [chosen.number, message.at]]);
    state.spokenToIn = newestOf(Object.fromEntries(spokenToIn));
    const nameKeys = [message.from.split("@")[0], message.name].filter(
      (n): n is string => typeof n === "string" && n.length > 0 && n.length <= 64,
    );
    for (const key of nameKeys) state.names[key.toLowerCase()] = message.from;
    const names = Object.entries(state.names);
    if (names.length > KEEP_NAMES) state.names = Object.fromEntries(names.slice(names.length - KEEP_NAMES));
  }
  return {
    state,
    decision: {
      number: chosen.number,
      isNew,
      reason,
      similarity: Math.round(similarityToChosen * 1000) / 1000,
      messages: chosen.messages,
      openedAt: chosen.openedAt,
      participants: [...chosen.participants],
    },
    closed,
  };
}

/**
 * Keys for entities that tie messages to one topic (an order id, a tracking number, an amount).
 * Products are left out: their names are words the message's terms already hold, and weighing
 * them again tied separate questions about the same goods together (gold dev 0.790 -> 0.763).
 */
export function entityKeysOf(entities: { type?: unknown; value?: unknown }[]): string[] {
  const keys: string[] = [];
  for (const entity of entities.slice(0, 50)) {
    if (typeof entity.type !== "string" || entity.type === "product") continue;
    const value = entity.value;
    const written =
      typeof value === "string" || typeof value === "number"
        ? String(value)
        : value && typeof value === "object" && "amount" in value
          ? String((value as { amount: unknown }).amount)
          : undefined;
    if (written !== undefined && written.length <= 200) keys.push(`${entity.type}:${written}`);
  }
  return keys;
}
