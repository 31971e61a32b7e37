import { TrainingExample } from "./intent-classifier";

export interface ParsedExamples {
  examples: TrainingExample[];
  /** Lines that could not be read, with why (1-based line numbers). */
  problems: { line: number; reason: string }[];
}

export const TRAINING_LIMITS = { maxBytes: 20 * 1024 * 1024, maxExamples: 200_000, maxTextChars: 1000, maxLabelChars: 100 };

const LABEL = /^[\p{L}\p{N}_.:?!-]{1,100}$/u;

function accept(out: ParsedExamples, line: number, text: unknown, label: unknown): void {
  if (typeof text !== "string" || text.trim() === "") {
    out.problems.push({ line, reason: "no text" });
    return;
  }
  if (typeof label !== "string" || !LABEL.test(label.trim())) {
    out.problems.push({
      line,
      reason: `the intent must be 1 to 100 letters, digits, '_', '.', ':', '?', '!' or '-' (got ${JSON.stringify(String(label ?? "")).slice(0, 40)})`,
    });
    return;
  }
  if (out.examples.length >= TRAINING_LIMITS.maxExamples) {
    out.problems.push({ line, reason: `more than ${TRAINING_LIMITS.maxExamples} examples; the rest were left out` });
    return;
  }
  out.examples.push({ text: text.slice(0, TRAINING_LIMITS.maxTextChars), label: label.trim() });
}

/** Examples typed in the form: one per line, `intent: text`; blank lines and `#` comments skipped. */
export function parseExampleLines(source: string): ParsedExamples {
  const out: ParsedExamples = { examples: [], problems: [] };
  source.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      out.problems.push({ line: i + 1, reason: "expected `intent: example text`" });
      return;
    }
    accept(out, i + 1, line.slice(colon + 1).trim(), line.slice(0, colon).trim());
  });
  return out;
}

/** RFC 4180 CSV (quoted fields with commas, quotes and line breaks), rows with their starting line. */
export function parseCsvRows(source: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < source.length; i += 1) {
    const ch = source[i];
    if (quoted) {
      if (ch === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i += 1;
        } else quoted = false;
      } else {
        if (ch === "\n") line += 1;
        field += ch;
      }
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && source[i + 1] === "\n") i += 1;
      fields.push(field);
      rows.push({ line: rowLine, fields });
      fields = [];
      field = "";
      line += 1;
      rowLine = line;
    } else field += ch;
  }
  if (field !== "" || fields.length > 0) {
    fields.push(field);
    rows.push({ line: rowLine, fields });
  }
  return rows.filter((row) => !(row.fields.length === 1 && row.fields[0].trim() === ""));
}

const TEXT_COLUMNS = ["text", "utterance", "example", "sentence", "message"];
const LABEL_COLUMNS = ["label", "intent", "category", "class"];

/** A CSV file with a header naming a text and an intent column (Banking77's `text,category` is one). */
export function parseExamplesCsv(source: string): ParsedExamples {
  const out: ParsedExamples = { examples: [], problems: [] };
  const rows = parseCsvRows(source);
  if (rows.length === 0) return out;
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const textAt = header.findIndex((h) => TEXT_COLUMNS.includes(h));
  const labelAt = header.findIndex((h) => LABEL_COLUMNS.includes(h));
  if (textAt < 0 || labelAt < 0) {
    out.problems.push({
      line: 1,
      reason: `the header must name a text column (${TEXT_COLUMNS.join(", ")}) and an intent column (${LABEL_COLUMNS.join(", ")})`,
    });
    return out;
  }
  for (const row of rows.slice(1)) {
    if (row.fields.length !== header.length) {
      out.problems.push({ line: row.line, reason: `${row.fields.length} fields where the header has ${header.length}` });
      continue;
    }
    accept(out, row.line, row.fields[textAt], row.fields[labelAt]);
  }
  return out;
}

/** JSON lines of `{"text": …, "label"|"intent"|"category": …}`. */
export function parseExamplesJsonl(source: string): ParsedExamples {
  const out: ParsedExamples = { examples: [], problems: [] };
  source.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      out.problems.push({ line: i + 1, reason: "not JSON" });
      return;
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      out.problems.push({ line: i + 1, reason: "not a JSON object" });
      return;
    }
    accept(
      out,
      i + 1,
      TEXT_COLUMNS.map((k) => row[k]).find((v) => v !== undefined),
      LABEL_COLUMNS.map((k) => row[k]).find((v) => v !== undefined),
    );
  });
  return out;
}

/** Reads a training file by its name's ending. */
export function parseExamplesFile(name: string, source: string): ParsedExamples {
  if (/\.csv$/i.test(name)) return parseExamplesCsv(source);
  if (/\.jsonl?$/i.test(name)) return parseExamplesJsonl(source);
  return parseExampleLines(source);
}
