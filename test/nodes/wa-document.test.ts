import assert from "node:assert/strict";
import documentNode from "../../src/nodes/wa-document";
import { makeDocx, makePdf, makeXlsx, makeZip } from "../support/document-fixtures";
import { catchNode, collect, envelope, flushMicrotasks, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";

type Document = {
  kind: string;
  text: string;
  pages?: { number: number; text: string }[];
  total?: number;
  tables: { name: string; rows: string[][] }[];
  metadata: Record<string, string>;
  truncated: boolean;
  notes: string[];
  name?: string;
};
const documentOf = (msg: Record<string, unknown>) =>
  ((msg.wa as { media?: { document?: Document } } | undefined)?.media?.document ?? msg.document) as Document;
const errorText = (msg: Record<string, unknown>) => (msg.error as { message: string }).message;

describe("wa-document node (pdf.js and the OOXML reader in worker threads)", function () {
  this.timeout(60_000);
  const harness = useNodeHarness();
  async function load(props: Record<string, unknown> = {}) {
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
          useAsText: true,
          wires: [["out"]],
          ...props,
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
    );
  }

  it("reads a PDF, a DOCX and an XLSX made by the test into text, pages, tables and metadata", async () => {
    await load();
    const out = collect("out");
    const pdf = envelope("447700900123@c.us", "");
    (pdf.wa as { message: { media?: unknown } }).message.media = {
      mimetype: "application/pdf",
      filename: "invoice.pdf",
      data: makePdf(["Invoice BR-20931", "Total R$ 50,50"], { title: "Invoice BR-20931" }),
    };
    getNode("d1").receive(pdf);
    getNode("d1").receive({
      payload: makeDocx(
        ["Please deliver to Rua Augusta 1200"],
        [
          ["Item", "Qty"],
          ["Coffee", "2"],
        ],
      ),
    });
    getNode("d1").receive({
      payload: makeXlsx([
        {
          name: "Order",
          rows: [
            ["Product", "Qty"],
            ["Coffee", 2],
          ],
        },
      ]),
    });
    await untilReal(() => out.length === 3, 45_000);
    const [fromPdf, fromDocx, fromXlsx] = out.map(documentOf);
    assert.equal(fromPdf.kind, "pdf");
    assert.deepEqual(fromPdf.pages, [
      { number: 1, text: "Invoice BR-20931" },
      { number: 2, text: "Total R$ 50,50" },
    ]);
    assert.equal(fromPdf.metadata.title, "Invoice BR-20931");
    assert.equal(fromPdf.name, "invoice.pdf");
    assert.equal(
      (pdf.wa as { message: { text: string } }).message.text,
      "Invoice BR-20931\n\nTotal R$ 50,50",
      "the text became the message text",
    );
    assert.equal(fromDocx.kind, "docx");
    assert.deepEqual(fromDocx.tables[0].rows, [
      ["Item", "Qty"],
      ["Coffee", "2"],
    ]);
    assert.equal(fromXlsx.kind, "xlsx");
    assert.deepEqual(fromXlsx.tables[0], {
      name: "Order",
      rows: [
        ["Product", "Qty"],
        ["Coffee", "2"],
      ],
      truncated: false,
    });
  });

  it("reads the first pages of a 5,000-page PDF within its limits and warns that it read part of it", async () => {
    await load();
    const out = collect("out");
    getNode("d1").receive({
      payload: makePdf(Array.from({ length: 5000 }, (_, i) => `Statement page ${i % 7}`)),
      filename: "statement.pdf",
    });
    await untilReal(() => out.length === 1, 45_000);
    const doc = documentOf(out[0]);
    assert.equal(doc.total, 5000);
    assert.equal(doc.pages?.length, 50);
    assert.equal(doc.truncated, true);
    assert.deepEqual(doc.notes, ["first 50 of 5000 pages"]);
    const warnings = getNode("d1")
      .warn.getCalls()
      .map((c) => String(c.args[0]));
    assert.ok(
      warnings.some((w) => /statement\.pdf was read in part: first 50 of 5000 pages/.test(w)),
      warnings.join(" | "),
    );
  });

  it("refuses an encrypted PDF, a zip bomb, a truncated PDF, junk and an oversized file, and stays up for the next", async () => {
    await load();
    const out = collect("out");
    const errors = collect("errors");
    getNode("d1").receive({ payload: makePdf(["secret"], { encrypted: true }) });
    getNode("d1").receive({ payload: makeZip({ "word/document.xml": Buffer.alloc(64 * 1024 * 1024, 0x20) }, { lieAboutSize: true }) });
    getNode("d1").receive({ payload: makePdf(["Hello"]).subarray(0, 150) });
    getNode("d1").receive({ payload: Buffer.from([0, 159, 146, 150, 0, 1]) });
    getNode("d1").receive({ payload: Buffer.alloc(6 * 1024 * 1024, 0x41) });
    await untilReal(() => errors.length === 5, 45_000);
    const texts = errors.map(errorText).sort();
    assert.ok(
      texts.some((t) => /protected by a password/.test(t)),
      texts.join(" | "),
    );
    assert.ok(
      texts.some((t) => /unpacks to more than 10485760 bytes/.test(t)),
      texts.join(" | "),
    );
    assert.ok(
      texts.some((t) => /could not be read: .*(PDF|pdf)/.test(t)),
      texts.join(" | "),
    );
    assert.ok(
      texts.some((t) => /not a PDF, DOCX, XLSX, CSV or text file/.test(t)),
      texts.join(" | "),
    );
    assert.ok(
      texts.some((t) => /limit is 5242880/.test(t)),
      texts.join(" | "),
    );
    getNode("d1").receive({ payload: Buffer.from("still here"), filename: "note.txt" });
    await untilReal(() => out.length === 1, 45_000);
    assert.equal(documentOf(out[0]).text, "still here");
  });

  it("fails a document still being read when the time limit passes (fake clock), then reads the next with a new thread", async () => {
    await load({ maxPages: 5000, timeoutSeconds: 5 });
    const out = collect("out");
    const errors = collect("errors");
    getNode("d1").receive({ payload: makePdf(["warm up"]) });
    await untilReal(() => out.length === 1, 45_000);
    getNode("d1").receive({ payload: makePdf(Array.from({ length: 5000 }, (_, i) => `Line ${i}`)) });
    // The job reaches the (already started) thread within a few microtask turns; the read itself takes seconds.
    await flushMicrotasks(20);
    await harness.clock().advanceAsync(5_001);
    await untilReal(() => errors.length === 1, 45_000);
    assert.match(errorText(errors[0]), /took longer than 5 s/);
    getNode("d1").receive({ payload: Buffer.from("a,b\n1,2"), filename: "x.csv" });
    await untilReal(() => out.length === 2, 45_000);
    assert.deepEqual(documentOf(out[1]).tables[0].rows, [
      ["a", "b"],
      ["1", "2"],
    ]);
  });

  it("says at deploy which limit is out of range", async () => {
    await load({ maxPages: 0 });
    const texts = getNode("d1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /Pages read: a whole number, 1 to 5000/.test(t)),
      texts.join(" | "),
    );
  });
});
