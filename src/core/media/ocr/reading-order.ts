/** A box in image pixels. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface LaidOutLine {
  text: string;
  bbox: Box;
}

/** A line as the engine read it across the image, with its words' boxes. */
export interface WordLine {
  words: { text: string; bbox: Box }[];
}

/** A block of text as the engine's page segmentation found it, with its lines in order. */
export interface LaidOutBlock {
  bbox: Box;
  lines: LaidOutLine[];
}

/** Lines that average this many words read as running text; a table's cells hold fewer. */
const PROSE_WORDS_PER_LINE = 4;

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

function verticalOverlap(a: Box, b: Box): number {
  return Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
}

function isProse(block: LaidOutBlock): boolean {
  const lines = block.lines.filter((line) => line.text.trim() !== "");
  if (lines.length < 2) return false;
  return lines.reduce((sum, line) => sum + wordCount(line.text), 0) / lines.length >= PROSE_WORDS_PER_LINE;
}

/** Two blocks beside each other: most of the shorter one's height is shared, and they do not overlap across. */
function besideEachOther(a: LaidOutBlock, b: LaidOutBlock): boolean {
  const shorter = Math.min(a.bbox.y1 - a.bbox.y0, b.bbox.y1 - b.bbox.y0);
  const apart = a.bbox.x1 <= b.bbox.x0 || b.bbox.x1 <= a.bbox.x0;
  return apart && shorter > 0 && verticalOverlap(a.bbox, b.bbox) > shorter / 2;
}

/**
 * Whether the page's blocks are to be read one after the other (columns of running text, as in a newsletter)
 * rather than line by line across the page (a receipt's names and prices, a statement's table: their
 * columns are cells of rows). Blocks side by side are columns of running text only when each of them is.
 */
export function readsByBlock(blocks: LaidOutBlock[]): boolean {
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      if (besideEachOther(blocks[i], blocks[j]) && !(isProse(blocks[i]) && isProse(blocks[j]))) return false;
    }
  }
  return true;
}

/** The lines of every block, as rows across the page: lines sharing most of their height are one row, left to right. */
export function linesAcross(blocks: LaidOutBlock[]): string {
  const lines = blocks.flatMap((block) => block.lines).filter((line) => line.text.trim() !== "");
  lines.sort((a, b) => a.bbox.y0 + a.bbox.y1 - (b.bbox.y0 + b.bbox.y1));
  const rows: { box: Box; lines: LaidOutLine[] }[] = [];
  for (const line of lines) {
    const height = line.bbox.y1 - line.bbox.y0;
    const row = rows.at(-1);
    if (row && verticalOverlap(row.box, line.bbox) > Math.min(height, row.box.y1 - row.box.y0) / 2) {
      row.lines.push(line);
      row.box = { ...row.box, y0: Math.min(row.box.y0, line.bbox.y0), y1: Math.max(row.box.y1, line.bbox.y1) };
    } else {
      rows.push({ box: { ...line.bbox }, lines: [line] });
    }
  }
  return rows
    .map((row) =>
      row.lines
        .sort((a, b) => a.bbox.x0 - b.bbox.x0)
        .map((line) => line.text.trim())
        .join(" "),
    )
    .join("\n");
}

/** The page's text in reading order: block by block for columns of running text, otherwise line by line across. */
export function textInReadingOrder(blocks: LaidOutBlock[]): string {
  if (readsByBlock(blocks))
    return blocks
      .map((block) =>
        block.lines
          .map((line) => line.text.trim())
          .filter(Boolean)
          .join("\n"),
      )
      .filter(Boolean)
      .join("\n\n");
  return linesAcross(blocks);
}

/** A gap between two words this many times the page's usual gap, and at least a line's height, parts two columns. */
const GUTTER_TIMES_WORD_GAP = 3;
/** Lines parted into pieces of running text needed before a page counts as columns of text. */
const COLUMN_LINES = 3;

/** A piece of a line that reads as running text: three words or more, most of them without digits (not amounts, dates, ids). */
function isRunningText(words: string[]): boolean {
  return words.length >= 3 && words.filter((word) => /\d/.test(word)).length * 3 <= words.length;
}

/**
 * Whether lines read straight across the image ran over the gutter between columns of running text (a newsletter,
 * a leaflet): enough lines part at wide gaps into pieces of at least three words each. A receipt's or a table's
 * lines part too, but into a name and a price, or cells of a word or two.
 */
export function runsAcrossColumns(lines: WordLine[]): boolean {
  const gaps = lines.flatMap((line) => line.words.slice(1).map((word, i) => word.bbox.x0 - line.words[i].bbox.x1)).filter((gap) => gap > 0);
  if (gaps.length === 0) return false;
  const usualGap = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
  let parted = 0;
  for (const { words } of lines) {
    if (words.length < 6) continue;
    const height = Math.max(...words.map((word) => word.bbox.y1 - word.bbox.y0));
    const pieces: string[][] = [[words[0].text]];
    for (let i = 1; i < words.length; i++) {
      const gap = words[i].bbox.x0 - words[i - 1].bbox.x1;
      if (gap >= GUTTER_TIMES_WORD_GAP * usualGap && gap >= height) pieces.push([words[i].text]);
      else pieces[pieces.length - 1].push(words[i].text);
    }
    if (pieces.length >= 2 && pieces.every(isRunningText)) parted += 1;
  }
  return parted >= COLUMN_LINES;
}
