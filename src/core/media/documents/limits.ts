import { WaError } from "../../errors";

/** Bounds on what one document may cost: its bytes, what it unpacks to, and how much of it is read. */
export interface DocumentLimits {
  maxBytes: number;
  /** Total bytes the parts of a DOCX/XLSX may inflate to (a zip bomb stops here). */
  maxUnpackedBytes: number;
  maxPages: number;
  /** Rows per sheet or CSV. */
  maxRows: number;
  /** Characters of text kept in the output. */
  maxChars: number;
}

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxUnpackedBytes: 100 * 1024 * 1024,
  maxPages: 200,
  maxRows: 10_000,
  maxChars: 1_000_000,
};

export type DocumentKind = "pdf" | "docx" | "xlsx" | "csv" | "text";

export interface DocumentTable {
  /** The sheet's name, or "Table N" in a Word document. */
  name: string;
  rows: string[][];
  truncated: boolean;
}

export interface DocumentResult {
  kind: DocumentKind;
  text: string;
  pages?: { number: number; text: string }[];
  /** Pages (PDF), sheets (XLSX) or paragraphs (DOCX) in the document, read or not. */
  total?: number;
  tables: DocumentTable[];
  metadata: Record<string, string>;
  /** True when a limit cut the reading short: the result holds what was read before it. */
  truncated: boolean;
  /** What was cut, for a person: "first 200 of 5000 pages". */
  notes: string[];
}

export const unreadableDocument = (reason: string) =>
  new WaError("media.unreadable", `The document could not be read: ${reason}`, { reason });

/** Appends text up to the character limit; says whether it all fit. */
export class TextBudget {
  private readonly parts: string[] = [];
  private used = 0;
  full = false;

  constructor(private readonly maxChars: number) {}

  add(text: string): boolean {
    if (this.full) return false;
    const room = this.maxChars - this.used;
    if (text.length > room) {
      this.parts.push(text.slice(0, room));
      this.used = this.maxChars;
      this.full = true;
      return false;
    }
    this.parts.push(text);
    this.used += text.length;
    return true;
  }

  toString(): string {
    return this.parts.join("");
  }
}
