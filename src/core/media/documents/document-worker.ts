// Runs in a worker thread: reads PDF (pdf.js), DOCX, XLSX, CSV and text, with its own heap limit, so a
// hostile document costs a thread that is replaced, never Node-RED's own.
import { WaError } from "../../errors";
import { DocumentLimits, DocumentResult } from "./limits";
import { OpenPdf, PdfFile, extractDocument } from "./extract";
import { importModule, serveEngineThread } from "../engine-thread";

export interface DocumentJob {
  data: Uint8Array;
  name?: string;
  mimetype?: string;
}

interface PdfTextItem {
  str?: string;
  hasEOL?: boolean;
}
interface PdfJsDocument {
  numPages: number;
  getMetadata(): Promise<{ info?: Record<string, unknown> }>;
  getPage(number: number): Promise<{ getTextContent(): Promise<{ items: PdfTextItem[] }>; cleanup(): void }>;
  destroy(): Promise<void>;
}
interface PdfJs {
  getDocument(source: Record<string, unknown>): { promise: Promise<PdfJsDocument> };
}

const INFO_KEYS: Record<string, string> = {
  Title: "title",
  Author: "author",
  Subject: "subject",
  Creator: "creator",
  Producer: "producer",
  CreationDate: "created",
  ModDate: "modified",
};

function openWith(pdfjs: PdfJs): OpenPdf {
  return async (data: Uint8Array): Promise<PdfFile> => {
    let document: PdfJsDocument;
    try {
      // A copy: pdf.js takes ownership of (detaches) the buffer it is given.
      document = await pdfjs.getDocument({
        data: new Uint8Array(data),
        isEvalSupported: false,
        disableFontFace: true,
        useSystemFonts: false,
        stopAtErrors: false,
        verbosity: 0,
      }).promise;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "PasswordException") throw new WaError("media.encrypted", "The document is protected by a password and cannot be read");
      const reason = String((error as Error)?.message ?? error).slice(0, 200);
      throw new WaError("media.unreadable", `The document could not be read: ${reason}`, { reason });
    }
    const info: Record<string, unknown> = (await document.getMetadata().catch(() => ({ info: undefined }))).info ?? {};
    const metadata: Record<string, string> = {};
    for (const [key, name] of Object.entries(INFO_KEYS))
      if (typeof info[key] === "string" && info[key]) metadata[name] = String(info[key]).slice(0, 500);
    return {
      pageCount: document.numPages,
      metadata,
      async pageText(number: number): Promise<string> {
        const page = await document.getPage(number);
        const content = await page.getTextContent();
        page.cleanup();
        return content.items
          .map((item) => `${item.str ?? ""}${item.hasEOL ? "\n" : ""}`)
          .join("")
          .replace(/[ \t]+\n/g, "\n")
          .trim();
      },
      close: () => document.destroy(),
    };
  };
}

async function setup(data: unknown) {
  const limits = data as DocumentLimits;
  const pdfjs = (await importModule("pdfjs-dist/legacy/build/pdf.mjs")) as unknown as PdfJs;
  const openPdf = openWith(pdfjs);
  return {
    handle: (job: DocumentJob): Promise<DocumentResult> =>
      extractDocument(job.data, { name: job.name, mimetype: job.mimetype }, limits, openPdf),
  };
}

serveEngineThread(setup);
