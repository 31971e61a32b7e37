import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import documentNode from "../../src/nodes/wa-document";
import ocrNode from "../../src/nodes/wa-ocr";
import transcribeNode from "../../src/nodes/wa-transcribe";
import { catchNode, collect, getNode, helper, helperNode, inTab, untilReal, useNodeHarness, useUserDir } from "./harness";

const REAL = join(__dirname, "..", "fixtures", "real-tools");
const VOICE = join(__dirname, "..", "fixtures", "voice");
type Document = {
  kind: string;
  text: string;
  pages?: { number: number; text: string }[];
  tables: { name: string; rows: string[][] }[];
  metadata: Record<string, string>;
};
const documentOf = (msg: Record<string, unknown>) =>
  ((msg.wa as { media?: { document?: Document } } | undefined)?.media?.document ?? msg.document) as Document;
const flat = (text: string) => text.replace(/\s+/g, " ").trim();

describe("files made by real tools (LibreOffice, Ghostscript, qpdf, ImageMagick, espeak-ng + opusenc)", function () {
  this.timeout(90_000);
  useNodeHarness();
  useUserDir("wa-real-tools", "all");

  it("reads LibreOffice's DOCX, XLSX and PDF, Ghostscript's PDF and qpdf's object-stream and AES-256 PDFs", async () => {
    await helper.load(
      documentNode,
      inTab([
        {
          id: "d1",
          type: "wa-document",
          maxMegabytes: 5,
          maxUnpackedMegabytes: 10,
          maxPages: 50,
          maxRows: 1000,
          maxChars: 100000,
          timeoutSeconds: 30,
          poolSize: 1,
          useAsText: false,
          wires: [["out"]],
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const out = collect("out");
    const errors = collect("errors");
    const files = ["order.docx", "stock.xlsx", "order.pdf", "statement-gs.pdf", "statement-objstm.pdf", "statement-encrypted-aes256.pdf"];
    for (const file of files) {
      getNode("d1").receive({ payload: readFileSync(join(REAL, file)), filename: file });
      await untilReal(() => out.length + errors.length === files.indexOf(file) + 1, 30_000);
    }
    assert.deepEqual(
      errors.map((e) => (e.error as { message: string }).message),
      [],
    );
    const [docx, xlsx, writerPdf, gsPdf, objstm, aes] = out.map(documentOf);
    assert.equal(docx.kind, "docx");
    assert.match(flat(docx.text), /Por favor entregar na Rua Augusta 1200, São Paulo\. Pedido BR-20931 para Ana Souza, total R\$ 71,80\./);
    assert.deepEqual(docx.tables[0].rows, [
      ["Produto", "Qtd", "Preço"],
      ["Café em grãos 1kg", "2", "59,90"],
      ["Filtro de papel", "1", "11,90"],
    ]);
    assert.equal(xlsx.kind, "xlsx");
    assert.deepEqual(xlsx.tables[0].rows, [
      ["Product", "Qty", "Price"],
      ["Coffee beans 1kg", "2", "59.9"],
      ["Paper filter", "1", "11.9"],
      ["Milk frother", "3", "24.5"],
    ]);
    assert.equal(writerPdf.kind, "pdf");
    assert.match(flat(writerPdf.text), /Pedido BR-20931 para Ana Souza, total R\$ 71,80/);
    assert.match(flat(writerPdf.text), /Café em grãos 1kg 2 59,90/);
    for (const pdf of [gsPdf, objstm, aes]) {
      assert.deepEqual(
        pdf.pages?.map((p) => flat(p.text)),
        [
          "Statement of account 2026-11 Opening balance 1,200.00 Payment received 350.50 Closing balance 849.50",
          "Page two: thank you for your business",
        ],
      );
    }
  });

  it("refuses qpdf's password-protected PDF with media.encrypted", async () => {
    await helper.load(
      documentNode,
      inTab([
        {
          id: "d1",
          type: "wa-document",
          maxMegabytes: 5,
          maxUnpackedMegabytes: 10,
          maxPages: 50,
          maxRows: 1000,
          maxChars: 100000,
          timeoutSeconds: 30,
          poolSize: 1,
          useAsText: false,
          wires: [["out"]],
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const errors = collect("errors");
    getNode("d1").receive({ payload: readFileSync(join(REAL, "statement-password.pdf")) });
    await untilReal(() => errors.length === 1, 30_000);
    assert.equal((errors[0].error as { code?: string }).code, "media.encrypted");
  });

  it("reads a receipt photographed askew with noise (ImageMagick) with OCR", async () => {
    await helper.load(
      ocrNode,
      inTab([
        {
          id: "o1",
          type: "wa-ocr",
          languages: "eng+por",
          poolSize: 1,
          timeoutSeconds: 60,
          maxMegabytes: 5,
          words: true,
          rotate: true,
          minWidth: 1000,
          wires: [["out"]],
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
    const out = collect("out");
    getNode("o1").receive({ payload: readFileSync(join(REAL, "receipt-photo.jpg")) });
    await untilReal(() => out.length === 1, 60_000);
    const text = (out[0].ocr as { text: string }).text;
    assert.match(text, /PADARIA BOM DIA/);
    assert.match(text, /TOTAL R\$ ?50,50/);
  });

  describe("offline voice notes against grammars with distractors", () => {
    const phrases = "where is my order\nwhere is my refund\ncancel my order\ntrack my order\ntalk to a person";
    const hear = async (file: string, props: Record<string, unknown> = {}) => {
      await helper.load(
        transcribeNode,
        inTab([
          {
            id: "t1",
            type: "wa-transcribe",
            engine: "offline",
            language: "en-US",
            grammar: "phrases",
            phrases,
            poolSize: 1,
            timeoutSeconds: 30,
            maxSeconds: 120,
            maxMegabytes: 1,
            useAsText: false,
            wires: [["out"]],
            ...props,
          },
          helperNode("out"),
          catchNode(),
          helperNode("errors"),
        ]),
      );
      const out = collect("out");
      getNode("t1").receive({ payload: readFileSync(join(VOICE, file)) });
      await untilReal(() => out.length === 1, 30_000);
      await helper.unload();
      return out[0].transcript as { text: string; confidence?: number };
    };

    it("tells apart phrases that differ by one word", async () => {
      assert.equal((await hear("where-is-my-order.ogg")).text, "where is my order");
      assert.equal((await hear("where-is-my-refund.ogg")).text, "where is my refund");
      assert.equal((await hear("cancel-my-order.ogg")).text, "cancel my order");
    });

    it("is less sure of a note that says none of its phrases than of one that says one", async () => {
      const inGrammar = await hear("where-is-my-order.ogg");
      const outside = await hear("send-me-the-invoice.ogg");
      console.log(`      outside the grammar: "${outside.text}" at ${outside.confidence}; inside: ${inGrammar.confidence}`);
      assert.ok(
        (outside.confidence ?? 1) < (inGrammar.confidence ?? 0),
        `outside ${outside.confidence} (${outside.text}), inside ${inGrammar.confidence}`,
      );
    });
  });
});
