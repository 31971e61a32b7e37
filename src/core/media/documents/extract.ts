import { WaError } from "../../errors";
import { DocumentKind, DocumentLimits, DocumentResult, TextBudget, unreadableDocument } from "./limits";
import { readDocx, readXlsx } from "./office";
import { readCsv, readText } from "./plain";
import { ZipArchive } from "./zip";

/** What a PDF library gives: pages' text items, the document's info; injected so the engine stays testable. */
export interface PdfFile {
  pageCount: number;
  metadata: Record<string, string>;
  pageText(number: number): Promise<string>;
  close(): Promise<void>;
}

export type OpenPdf = (data: Uint8Array) => Promise<PdfFile>;

const startsWith = (data: Uint8Array, ...bytes: number[]) => bytes.every((b, i) => data[i] === b);

/** The kind by content; the file name and mimetype only tell text from CSV. */
export function detectDocumentKind(data: Uint8Array, name = "", mimetype = ""): DocumentKind | "zip" | "ole" | undefined {
  if (startsWith(data, 0x25, 0x50, 0x44, 0x46)) return "pdf"; // %PDF
  if (startsWith(data, 0x50, 0x4b, 0x03, 0x04) || startsWith(data, 0x50, 0x4b, 0x05, 0x06)) return "zip";
  if (startsWith(data, 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return "ole";
  if (/\.csv$/i.test(name) || /text\/csv|comma-separated/i.test(mimetype)) return "csv";
  if (
    /\.(txt|text|md|log|json|xml|html?)$/i.test(name) ||
    /^text\//i.test(mimetype) ||
    data.length === 0 ||
    !data.subarray(0, 8192).includes(0)
  )
    return "text";
  return undefined;
}

/** The marker an encrypted Office file carries in its compound-file directory (names are UTF-16). */
const ENCRYPTION_INFO = Buffer.from("EncryptionInfo", "utf16le");

export async function extractDocument(
  data: Uint8Array,
  hint: { name?: string; mimetype?: string },
  limits: DocumentLimits,
  openPdf: OpenPdf,
): Promise<DocumentResult> {
  if (data.length > limits.maxBytes)
    throw new WaError("media.tooLarge", `The media is ${data.length} bytes; the limit is ${limits.maxBytes}`, {
      size: data.length,
      max: limits.maxBytes,
    });
  const kind = detectDocumentKind(data, hint.name, hint.mimetype);
  if (kind === "pdf") return readPdf(data, limits, openPdf);
  if (kind === "zip") {
    const zip = new ZipArchive(data, limits.maxUnpackedBytes);
    if (zip.has("word/document.xml")) return readDocx(zip, limits);
    if (zip.has("xl/workbook.xml")) return readXlsx(zip, limits);
    throw unreadableDocument("a ZIP that is neither a DOCX nor an XLSX");
  }
  if (kind === "ole") {
    if (Buffer.from(data.buffer, data.byteOffset, data.byteLength).includes(ENCRYPTION_INFO))
      throw new WaError("media.encrypted", "The document is protected by a password and cannot be read");
    throw unreadableDocument("an old binary Office file (.doc/.xls); ask for PDF, DOCX or XLSX");
  }
  if (kind === "csv") return readCsv(data, limits);
  if (kind === "text") return readText(data, limits);
  throw unreadableDocument("not a PDF, DOCX, XLSX, CSV or text file");
}

async function readPdf(data: Uint8Array, limits: DocumentLimits, openPdf: OpenPdf): Promise<DocumentResult> {
  const pdf = await openPdf(data);
  try {
    const text = new TextBudget(limits.maxChars);
    const pages: { number: number; text: string }[] = [];
    const last = Math.min(pdf.pageCount, limits.maxPages);
    for (let number = 1; number <= last && !text.full; number++) {
      const pageText = await pdf.pageText(number);
      pages.push({ number, text: pageText });
      text.add(`${pageText}\n\n`);
    }
    const notes = [
      ...(pdf.pageCount > limits.maxPages ? [`first ${limits.maxPages} of ${pdf.pageCount} pages`] : []),
      ...(text.full ? [`text cut at ${limits.maxChars} characters, after page ${pages.length}`] : []),
    ];
    return {
      kind: "pdf",
      text: text.toString().trim(),
      pages,
      total: pdf.pageCount,
      tables: [],
      metadata: pdf.metadata,
      truncated: notes.length > 0,
      notes,
    };
  } finally {
    await pdf.close();
  }
}
