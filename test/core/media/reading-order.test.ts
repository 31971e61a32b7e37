import assert from "node:assert/strict";
import { LaidOutBlock, WordLine, readsByBlock, runsAcrossColumns, textInReadingOrder } from "../../../src/core/media/ocr/reading-order";

/** A block of lines 30 px apart, starting at (x, y), each line `width` px wide. */
function block(x: number, y: number, width: number, lines: string[]): LaidOutBlock {
  const laid = lines.map((text, i) => ({ text, bbox: { x0: x, y0: y + i * 30, x1: x + width, y1: y + i * 30 + 22 } }));
  return { bbox: { x0: x, y0: y, x1: x + width, y1: y + lines.length * 30 - 8 }, lines: laid };
}

describe("OCR reading order from the engine's blocks", () => {
  it("reads columns of running text one after the other, under their title", () => {
    const blocks = [
      block(300, 0, 600, ["The Corner Bakery Weekly"]),
      block(0, 60, 500, ["Our ovens start at four every morning, and", "the first loaves leave the shelves before seven."]),
      block(600, 60, 500, ["Deliveries now reach the whole north side of", "the river. Orders placed before ten arrive the"]),
    ];
    assert.equal(readsByBlock(blocks), true);
    assert.equal(
      textInReadingOrder(blocks),
      "The Corner Bakery Weekly\n\nOur ovens start at four every morning, and\nthe first loaves leave the shelves before seven.\n\n" +
        "Deliveries now reach the whole north side of\nthe river. Orders placed before ten arrive the",
    );
  });

  it("reads a receipt's names and prices, found as two blocks side by side, row by row", () => {
    const blocks = [
      block(0, 0, 400, ["PADARIA BOA MASSA"]),
      block(0, 60, 300, ["2 Pao de queijo", "1 Bolo de rolo", "TOTAL R$"]),
      block(500, 60, 100, ["12,00", "38,50", "50,50"]),
    ];
    assert.equal(readsByBlock(blocks), false);
    assert.equal(textInReadingOrder(blocks), "PADARIA BOA MASSA\n2 Pao de queijo 12,00\n1 Bolo de rolo 38,50\nTOTAL R$ 50,50");
  });

  it("joins a table's cells into rows even when the columns' lines sit a few pixels apart", () => {
    const dates = block(0, 0, 120, ["Date", "01Aug2018", "02Aug2018"]);
    const amounts = block(400, 3, 120, ["Debits", "36.07", "60.93"]);
    assert.equal(textInReadingOrder([dates, amounts]), "Date Debits\n01Aug2018 36.07\n02Aug2018 60.93");
  });

  it("keeps blocks one above the other in their order, and leaves out empty lines", () => {
    const blocks = [block(0, 0, 300, ["Hello World", ""]), block(0, 100, 300, ["from beyond", "the Cosmic Void"])];
    assert.equal(textInReadingOrder(blocks), "Hello World\n\nfrom beyond\nthe Cosmic Void");
  });

  /** Lines of words 60 px wide, 12 px apart, with `gutter` px more before word number `at` (none when at is 0). */
  function lines(count: number, wordsPerLine: number, at: number, gutter: number): WordLine[] {
    return Array.from({ length: count }, (_, row) => ({
      words: Array.from({ length: wordsPerLine }, (_, i) => {
        const x0 = i * 72 + (at > 0 && i >= at ? gutter : 0);
        return { text: "word", bbox: { x0, y0: row * 30, x1: x0 + 60, y1: row * 30 + 22 } };
      }),
    }));
  }

  it("tells lines that ran across two columns of running text from a receipt's or a table's lines", () => {
    // Two columns of five words each, a 100 px gutter between them.
    assert.equal(runsAcrossColumns(lines(8, 10, 5, 100)), true);
    // A receipt: four words of a name, a wide gap, a price.
    assert.equal(runsAcrossColumns(lines(8, 5, 4, 200)), false);
    // A table: cells of two words with wide gaps between.
    const table = lines(8, 6, 2, 100).map((line) => ({
      words: line.words.map((word, i) =>
        i >= 4 ? { ...word, bbox: { ...word.bbox, x0: word.bbox.x0 + 100, x1: word.bbox.x1 + 100 } } : word,
      ),
    }));
    assert.equal(runsAcrossColumns(table), false);
    // A statement's row parts into a description and its numbers: not running text on both sides.
    const statement = lines(8, 6, 3, 150).map((line) => ({
      words: line.words.map((word, i) => (i >= 3 ? { ...word, text: ["4987", "36.07", "99,914.15"][i - 3] } : word)),
    }));
    assert.equal(runsAcrossColumns(statement), false);
    // One column of running text, and too few parted lines to call it columns.
    assert.equal(runsAcrossColumns(lines(8, 10, 0, 0)), false);
    assert.equal(runsAcrossColumns(lines(2, 10, 5, 100)), false);
  });
});
