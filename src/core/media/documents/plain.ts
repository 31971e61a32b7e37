import { DocumentLimits, DocumentResult, TextBudget, unreadableDocument } from "./limits";

/** Text from bytes: UTF-8 (BOM or not) or UTF-16 with its BOM; binary bytes are refused. */
export function decodeText(data: Uint8Array): string {
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder("utf-16le").decode(data.subarray(2));
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder("utf-16be").decode(data.subarray(2));
  const sample = data.subarray(0, 8192);
  if (sample.includes(0)) throw unreadableDocument("binary data, not text");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    // Old exports are often Windows-1252; every byte decodes, so nothing is lost.
    return new TextDecoder("windows-1252").decode(data);
  }
}

export function readText(data: Uint8Array, limits: DocumentLimits): DocumentResult {
  const text = new TextBudget(limits.maxChars);
  text.add(decodeText(data).replace(/\r\n?/g, "\n"));
  return {
    kind: "text",
    text: text.toString(),
    tables: [],
    metadata: {},
    truncated: text.full,
    notes: text.full ? [`text cut at ${limits.maxChars} characters`] : [],
  };
}

/** The delimiter the first lines use most consistently: comma, semicolon (European exports) or tab. */
function guessDelimiter(sample: string): string {
  // Quoted fields (which may hold delimiters and line breaks) do not count.
  const lines = sample
    .replace(/"[^"]*"/g, "")
    .split("\n", 6)
    .filter(Boolean);
  let best = ",";
  let bestScore = 0;
  for (const delimiter of [",", ";", "\t", "|"]) {
    const counts = lines.map((line) => line.split(delimiter).length - 1);
    const score = counts.length > 0 && counts.every((c) => c === counts[0]) ? counts[0] : 0;
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

/** RFC 4180 CSV (quoted fields with "" escapes and line breaks), delimiter guessed, rows bounded. */
export function readCsv(data: Uint8Array, limits: DocumentLimits): DocumentResult {
  const source = decodeText(data).replace(/^\ufeff/, "");
  const head = source.slice(0, 4096);
  const delimiter = guessDelimiter(source.length > head.length && head.includes("\n") ? head.slice(0, head.lastIndexOf("\n")) : head);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let truncated = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quoted) {
      if (ch === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && source[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      rows.push(row);
      row = [];
      if (rows.length >= limits.maxRows) {
        truncated = i + 1 < source.length;
        break;
      }
    } else field += ch;
  }
  if (!truncated && (field !== "" || row.length > 0)) {
    row.push(field);
    rows.push(row);
  }
  const text = new TextBudget(limits.maxChars);
  text.add(rows.map((r) => r.join("\t")).join("\n"));
  const notes = [
    ...(truncated ? [`cut at ${limits.maxRows} rows`] : []),
    ...(text.full ? [`text cut at ${limits.maxChars} characters`] : []),
  ];
  return {
    kind: "csv",
    text: text.toString(),
    tables: [{ name: "CSV", rows, truncated }],
    metadata: { delimiter: delimiter === "\t" ? "tab" : delimiter },
    truncated: notes.length > 0,
    notes,
  };
}
