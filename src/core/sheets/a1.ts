/**
 * A1 notation as Google Sheets reads it: "Sheet1!A1:C10", "'My sheet'!B:B", "Sheet1!2:5",
 * "Sheet1" (the whole sheet), "A1:B2" (the first sheet). Rows and columns are 0-based here;
 * an open end (a whole column or row) is undefined.
 */
export interface GridRange {
  sheet?: string;
  startRow: number;
  startColumn: number;
  /** Exclusive; undefined: to the end of the sheet. */
  endRow?: number;
  endColumn?: number;
}

export class A1Error extends Error {}

export function columnIndex(letters: string): number {
  let index = 0;
  for (const char of letters.toUpperCase()) index = index * 26 + (char.charCodeAt(0) - 64);
  return index - 1;
}

export function columnLetters(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

const CELL = /^([A-Za-z]{1,3})?(\d{1,7})?$/;

function parseCell(text: string): { column?: number; row?: number } {
  const match = CELL.exec(text);
  if (!match || (!match[1] && !match[2])) throw new A1Error(`Unable to parse range: ${text}`);
  const column = match[1] ? columnIndex(match[1]) : undefined;
  const row = match[2] ? Number(match[2]) - 1 : undefined;
  if (row !== undefined && row < 0) throw new A1Error(`Unable to parse range: ${text}`);
  return { column, row };
}

export function parseA1(range: string): GridRange {
  if (range.length === 0 || range.length > 500) throw new A1Error(`Unable to parse range: ${range.slice(0, 80)}`);
  let sheet: string | undefined;
  let cells = range;
  const bang = range.lastIndexOf("!");
  if (bang >= 0) {
    sheet = range.slice(0, bang);
    cells = range.slice(bang + 1);
    if (sheet.startsWith("'") && sheet.endsWith("'") && sheet.length >= 2) sheet = sheet.slice(1, -1).replace(/''/g, "'");
    if (sheet === "") throw new A1Error(`Unable to parse range: ${range}`);
  } else if (!/^[A-Za-z]{0,3}\d{0,7}(:[A-Za-z]{0,3}\d{0,7})?$/.test(range)) {
    // No "!" and not cells: the name of a sheet, the whole of it.
    return { sheet: range.startsWith("'") && range.endsWith("'") ? range.slice(1, -1) : range, startRow: 0, startColumn: 0 };
  }
  if (cells === "") return { sheet, startRow: 0, startColumn: 0 };
  const [from, to] = cells.split(":");
  const start = parseCell(from);
  if (to === undefined) {
    if (start.column === undefined || start.row === undefined) throw new A1Error(`Unable to parse range: ${range}`);
    return { sheet, startRow: start.row, startColumn: start.column, endRow: start.row + 1, endColumn: start.column + 1 };
  }
  const end = parseCell(to);
  const grid: GridRange = {
    sheet,
    startRow: start.row ?? 0,
    startColumn: start.column ?? 0,
    endRow: end.row === undefined ? undefined : end.row + 1,
    endColumn: end.column === undefined ? undefined : end.column + 1,
  };
  if ((grid.endRow !== undefined && grid.endRow <= grid.startRow) || (grid.endColumn !== undefined && grid.endColumn <= grid.startColumn)) {
    throw new A1Error(`Unable to parse range: ${range}`);
  }
  return grid;
}

export function quoteSheet(title: string): string {
  return /^[A-Za-z0-9_]+$/.test(title) ? title : `'${title.replace(/'/g, "''")}'`;
}

/** The A1 text Google answers with: "Sheet1!A1:C3". */
export function formatA1(sheet: string, startRow: number, startColumn: number, endRow: number, endColumn: number): string {
  const from = `${columnLetters(startColumn)}${startRow + 1}`;
  const to = `${columnLetters(endColumn - 1)}${endRow}`;
  return `${quoteSheet(sheet)}!${from === to ? from : `${from}:${to}`}`;
}
