import { ENTITY_TYPES, EntityType } from "./entities";
import { MAX_NLU_CHARS } from "./text";

/** A message with the entities a person marked in it: the shape of the WhatsApp gold files. */
export interface AnnotatedMessage {
  text: string;
  entities: { type: EntityType; start: number; end: number }[];
}

export interface ParsedAnnotations {
  messages: AnnotatedMessage[];
  /** Lines that could not be read, with why (1-based line numbers). */
  problems: { line: number; reason: string }[];
}

export const ANNOTATION_LIMITS = { maxBytes: 20 * 1024 * 1024, maxMessages: 50_000, maxEntitiesPerMessage: 100 };

const TYPES = new Set<string>(ENTITY_TYPES);

const isOffset = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0;

/** Why an entity cannot be used, or undefined when it can. */
function entityProblem(entity: unknown, text: string, index: number): string | undefined {
  if (typeof entity !== "object" || entity === null) return `entity ${index + 1} is not an object`;
  const { type, start, end, text: written } = entity as Record<string, unknown>;
  if (typeof type !== "string" || !TYPES.has(type))
    return `entity ${index + 1}: unknown type ${JSON.stringify(String(type ?? "")).slice(0, 40)}`;
  if (!isOffset(start) || !isOffset(end) || start >= end || end > text.length)
    return `entity ${index + 1}: start and end must be whole numbers with 0 ≤ start < end ≤ ${text.length} (the text's length)`;
  if (typeof written === "string" && text.slice(start, end) !== written)
    return `entity ${index + 1}: the text from ${start} to ${end} is ${JSON.stringify(text.slice(start, end)).slice(0, 40)}, not ${JSON.stringify(written).slice(0, 40)}`;
  return undefined;
}

/**
 * Annotated messages as JSON lines: `{"text": "...", "entities": [{"type": "product", "start": 10, "end": 26}]}`,
 * offsets in JavaScript string units, end exclusive (an entity's `text`, when given, must be what they cut out).
 * A line with a problem is left out whole and named, so a half-marked message never teaches the tagger that
 * its unmarked entity is no entity.
 */
export function parseAnnotatedMessages(source: string): ParsedAnnotations {
  const out: ParsedAnnotations = { messages: [], problems: [] };
  source.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      out.problems.push({ line, reason: "not a JSON object" });
      return;
    }
    const { text, entities } = (typeof row === "object" && row !== null ? row : {}) as Record<string, unknown>;
    if (typeof text !== "string" || text.trim() === "") {
      out.problems.push({ line, reason: "no text" });
      return;
    }
    if (text.length > MAX_NLU_CHARS) {
      out.problems.push({ line, reason: `a text of more than ${MAX_NLU_CHARS} characters` });
      return;
    }
    const list = entities === undefined ? [] : entities;
    if (!Array.isArray(list) || list.length > ANNOTATION_LIMITS.maxEntitiesPerMessage) {
      out.problems.push({ line, reason: `entities must be a list of at most ${ANNOTATION_LIMITS.maxEntitiesPerMessage}` });
      return;
    }
    const problem = list.map((entity, n) => entityProblem(entity, text, n)).find((p) => p !== undefined);
    if (problem) {
      out.problems.push({ line, reason: problem });
      return;
    }
    if (out.messages.length >= ANNOTATION_LIMITS.maxMessages) {
      out.problems.push({ line, reason: `more than ${ANNOTATION_LIMITS.maxMessages} messages; the rest were left out` });
      return;
    }
    out.messages.push({
      text,
      entities: (list as { type: EntityType; start: number; end: number }[]).map(({ type, start, end }) => ({ type, start, end })),
    });
  });
  return out;
}
