import assert from "node:assert/strict";
import { DEFAULT_DOCUMENT_LIMITS, DocumentLimits } from "../../../src/core/media/documents/limits";
import { OpenPdf, detectDocumentKind, extractDocument } from "../../../src/core/media/documents/extract";
import { xmlTokens } from "../../../src/core/media/documents/xml";
import { makeDocx, makeXlsx, makeZip } from "../../support/document-fixtures";

const limits: DocumentLimits = { ...DEFAULT_DOCUMENT_LIMITS, maxUnpackedBytes: 5 * 1024 * 1024 };
/** A PDF library stand-in: pages are whatever the test says, so the engine's paging and limits can be checked. */
const scriptedPdf =
  (pages: string[]): OpenPdf =>
  async () => ({ pageCount: pages.length, metadata: { title: "T" }, pageText: async (n) => pages[n - 1], close: async () => undefined });
const noPdf: OpenPdf = async () => {
  throw new Error("not a PDF");
};

describe("document extraction", () => {
  it("reads a Word document's paragraphs, tabs, line breaks, tables and metadata", async () => {
    const doc = await extractDocument(
      makeDocx(
        ["Order BR-20931", "Deliver to Rua Augusta 1200 & co"],
        [
          ["Item", "Qty"],
          ["Café", "2"],
        ],
      ),
      {},
      limits,
      noPdf,
    );
    assert.equal(doc.kind, "docx");
    assert.match(doc.text, /^Order BR-20931\nDeliver to Rua Augusta 1200 & co\n/);
    assert.match(doc.text, /Tab\tstop\nnext line$/);
    assert.deepEqual(doc.tables, [
      {
        name: "Table 1",
        rows: [
          ["Item", "Qty"],
          ["Café", "2"],
        ],
        truncated: false,
      },
    ]);
    assert.deepEqual(doc.metadata, { title: "Order", author: "Ana", created: "2026-11-20T10:00:00Z" });
    assert.equal(doc.truncated, false);
  });

  it("reads every sheet of a workbook with shared strings and numbers, and cuts at the row limit", async () => {
    const rows = [["Product", "Qty"], ...Array.from({ length: 30 }, (_, i) => [`Item ${i}`, i * 1.5])];
    const book = makeXlsx([
      { name: "Stock", rows },
      { name: "Prices & taxes", rows: [["Coffee", 12.5]] },
    ]);
    const doc = await extractDocument(book, {}, { ...limits, maxRows: 10 }, noPdf);
    assert.equal(doc.kind, "xlsx");
    assert.deepEqual(
      doc.tables.map((t) => [t.name, t.rows.length, t.truncated]),
      [
        ["Stock", 10, true],
        ["Prices & taxes", 1, false],
      ],
    );
    assert.deepEqual(doc.tables[0].rows[2], ["Item 1", "1.5"]);
    assert.equal(doc.truncated, true);
    assert.deepEqual(doc.notes, ["sheet Stock cut at 10 rows"]);
    assert.match(doc.text, /# Prices & taxes\nCoffee\t12.5/);
  });

  it("stops a zip bomb at the unpacked limit even when the ZIP lies about its sizes", async () => {
    const bomb = makeZip({ "word/document.xml": Buffer.alloc(20 * 1024 * 1024, 0x20) }, { lieAboutSize: true });
    assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
    await assert.rejects(
      extractDocument(bomb, {}, limits, noPdf),
      (e: { code?: string; message: string }) => e.code === "media.tooLarge" && /unpacks to more than 5242880/.test(e.message),
    );
    // Many small parts that add up count too.
    const parts = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`xl/worksheets/sheet${i}.xml`, Buffer.alloc(1024 * 1024, 0x20)]));
    const wide = makeZip({
      "xl/workbook.xml": `<workbook><sheets>${Object.keys(parts)
        .map((_, i) => `<sheet name="s${i}" r:id="r${i}"/>`)
        .join("")}</sheets></workbook>`,
      "xl/_rels/workbook.xml.rels": `<Relationships>${Object.keys(parts)
        .map((_, i) => `<Relationship Id="r${i}" Target="worksheets/sheet${i}.xml"/>`)
        .join("")}</Relationships>`,
      ...parts,
    });
    await assert.rejects(extractDocument(wide, {}, limits, noPdf), (e: { code?: string }) => e.code === "media.tooLarge");
  });

  it("reads CSV with quotes and a guessed delimiter, and text in UTF-8, UTF-16 or Windows-1252", async () => {
    const csv = await extractDocument(
      Buffer.from('name;qty;note\n"Coffee; ground";2;"said ""fresh""\nreally"\nTea;3;\n'),
      { name: "stock.csv" },
      limits,
      noPdf,
    );
    assert.deepEqual(csv.tables[0].rows, [
      ["name", "qty", "note"],
      ["Coffee; ground", "2", 'said "fresh"\nreally'],
      ["Tea", "3", ""],
    ]);
    assert.equal(csv.metadata.delimiter, ";");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("olá mundo", "utf16le")]);
    assert.equal((await extractDocument(utf16, { name: "a.txt" }, limits, noPdf)).text, "olá mundo");
    assert.equal((await extractDocument(Buffer.from([0x63, 0x61, 0x66, 0xe9]), { name: "a.txt" }, limits, noPdf)).text, "café");
    const long = await extractDocument(Buffer.from("x".repeat(5000)), { name: "a.txt" }, { ...limits, maxChars: 1000 }, noPdf);
    assert.equal(long.text.length, 1000);
    assert.equal(long.truncated, true);
  });

  it("pages a PDF up to the page limit and says what it left out", async () => {
    const pages = Array.from({ length: 5000 }, (_, i) => `page ${i + 1}`);
    const doc = await extractDocument(Buffer.from("%PDF-1.7\n"), {}, { ...limits, maxPages: 3 }, scriptedPdf(pages));
    assert.deepEqual(
      doc.pages?.map((p) => p.text),
      ["page 1", "page 2", "page 3"],
    );
    assert.equal(doc.total, 5000);
    assert.deepEqual(doc.notes, ["first 3 of 5000 pages"]);
  });

  it("refuses encrypted Office files, old binary Office files, unknown ZIPs and binary junk with reasons", async () => {
    const ole = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(100),
      Buffer.from("EncryptionInfo", "utf16le"),
    ]);
    await assert.rejects(extractDocument(ole, {}, limits, noPdf), (e: { code?: string }) => e.code === "media.encrypted");
    await assert.rejects(extractDocument(ole.subarray(0, 60), {}, limits, noPdf), /old binary Office file/);
    await assert.rejects(extractDocument(makeZip({ "hello.txt": "hi" }), {}, limits, noPdf), /neither a DOCX nor an XLSX/);
    await assert.rejects(extractDocument(makeDocx(["x"]).subarray(0, 80), {}, limits, noPdf), /ZIP without its directory/);
    await assert.rejects(extractDocument(Buffer.from([0, 1, 2, 0, 9]), {}, limits, noPdf), /not a PDF, DOCX/);
    await assert.rejects(
      extractDocument(Buffer.alloc(10), {}, { ...limits, maxBytes: 5 }, noPdf),
      (e: { code?: string }) => e.code === "media.tooLarge",
    );
    assert.equal(detectDocumentKind(Buffer.from("a,b\n1,2"), "", "text/csv"), "csv");
  });

  it("tokenises XML in linear time on hostile input (no catastrophic backtracking)", () => {
    const hostile = `<a ${"x='".repeat(20_000)}>${"<".repeat(50_000)}&amp;&#x1F600;&#xD800;`;
    const started = performance.now();
    const tokens = [...xmlTokens(hostile)];
    assert.ok(performance.now() - started < 20_000, "linear: a backtracking tokenizer would take minutes");
    assert.ok(tokens.length > 0);
    assert.deepEqual(
      [...xmlTokens("<t>a &amp; b &#x1F600; &#xD800;</t>")].filter((t) => "text" in t),
      [{ text: "a & b 😀 \ufffd" }],
    );
  });
});
