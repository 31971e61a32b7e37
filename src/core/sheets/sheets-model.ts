import { A1Error, GridRange, formatA1, parseA1 } from "./a1";

/**
 * Spreadsheets held in memory, answering like the Sheets API v4 values endpoints: A1 ranges,
 * RAW / USER_ENTERED input, append with OVERWRITE / INSERT_ROWS, grid limits, the 50,000
 * character cell limit, trailing empty cells left out of answers. Formulas are stored, not
 * computed (FORMATTED_VALUE answers with the formula's text).
 */
export type CellValue = string | number | boolean;

export interface SheetData {
  sheetId: number;
  title: string;
  rowCount: number;
  columnCount: number;
  rows: (CellValue | undefined)[][];
}

export interface SpreadsheetData {
  spreadsheetId: string;
  title: string;
  sheets: SheetData[];
}

/** An error in the Sheets API's shape (google.rpc.Status). */
export class SheetsApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_CELL_CHARACTERS = 50_000;

const invalid = (message: string) => new SheetsApiError(400, "INVALID_ARGUMENT", message);

export type ValueInputOption = "RAW" | "USER_ENTERED";
export type ValueRenderOption = "FORMATTED_VALUE" | "UNFORMATTED_VALUE" | "FORMULA";

function inputValue(value: unknown, option: ValueInputOption): CellValue | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value !== "string") throw invalid(`Invalid values[0][0]: ${JSON.stringify(value).slice(0, 60)}`);
  if (value.length > MAX_CELL_CHARACTERS)
    throw invalid(`Your input contains more than the maximum of ${MAX_CELL_CHARACTERS} characters in a single cell.`);
  if (option === "RAW") return value;
  if (value.startsWith("'")) return value.slice(1);
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (/^(true|false)$/i.test(value)) return value.toUpperCase() === "TRUE";
  return value;
}

function renderValue(value: CellValue, option: ValueRenderOption): CellValue {
  if (option === "UNFORMATTED_VALUE") return typeof value === "string" && value.startsWith("=") ? value : value;
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  return String(value);
}

export class SheetsModel {
  private readonly spreadsheets = new Map<string, SpreadsheetData>();

  create(
    spreadsheetId: string,
    title: string,
    sheets: { title: string; rowCount?: number; columnCount?: number }[] = [{ title: "Sheet1" }],
  ): SpreadsheetData {
    const data: SpreadsheetData = {
      spreadsheetId,
      title,
      sheets: sheets.map((sheet, index) => ({
        sheetId: index === 0 ? 0 : 1000 + index,
        title: sheet.title,
        rowCount: sheet.rowCount ?? 1000,
        columnCount: sheet.columnCount ?? 26,
        rows: [],
      })),
    };
    this.spreadsheets.set(spreadsheetId, data);
    return data;
  }

  spreadsheet(spreadsheetId: string): SpreadsheetData {
    const found = this.spreadsheets.get(spreadsheetId);
    if (!found) throw new SheetsApiError(404, "NOT_FOUND", "Requested entity was not found.");
    return found;
  }

  get(
    spreadsheetId: string,
    range: string,
    render: ValueRenderOption = "FORMATTED_VALUE",
  ): { range: string; majorDimension: "ROWS"; values?: CellValue[][] } {
    const { sheet, grid } = this.resolve(spreadsheetId, range);
    const endRow = Math.min(grid.endRow ?? sheet.rowCount, sheet.rowCount);
    const endColumn = Math.min(grid.endColumn ?? sheet.columnCount, sheet.columnCount);
    const values: CellValue[][] = [];
    for (let r = grid.startRow; r < endRow; r += 1) {
      const row: CellValue[] = [];
      for (let c = grid.startColumn; c < endColumn; c += 1) {
        const cell = sheet.rows[r]?.[c];
        row.push(cell === undefined ? "" : renderValue(cell, render));
      }
      while (row.length > 0 && row[row.length - 1] === "") row.pop();
      values.push(row);
    }
    while (values.length > 0 && values[values.length - 1].length === 0) values.pop();
    return {
      range: formatA1(sheet.title, grid.startRow, grid.startColumn, endRow, endColumn),
      majorDimension: "ROWS",
      ...(values.length > 0 ? { values } : {}),
    };
  }

  update(
    spreadsheetId: string,
    range: string,
    values: unknown,
    option: ValueInputOption,
  ): { spreadsheetId: string; updatedRange: string; updatedRows: number; updatedColumns: number; updatedCells: number } {
    const rows = this.checkValues(values);
    const { sheet, grid } = this.resolve(spreadsheetId, range);
    const height = rows.length;
    const width = Math.max(0, ...rows.map((row) => row.length));
    if (height === 0 || width === 0)
      return {
        spreadsheetId,
        updatedRange: formatA1(sheet.title, grid.startRow, grid.startColumn, grid.startRow + 1, grid.startColumn + 1),
        updatedRows: 0,
        updatedColumns: 0,
        updatedCells: 0,
      };
    // Google takes a single cell as where the values start, not as their bounds.
    const singleCell = !range.slice(range.lastIndexOf("!") + 1).includes(":");
    if (
      !singleCell &&
      ((grid.endRow !== undefined && grid.startRow + height > grid.endRow) ||
        (grid.endColumn !== undefined && grid.startColumn + width > grid.endColumn))
    ) {
      throw invalid(
        `Requested writing within range [${range}], but tried writing to ${grid.startRow + height > (grid.endRow ?? Infinity) ? "row" : "column"} [${grid.startRow + height > (grid.endRow ?? Infinity) ? grid.startRow + height : grid.startColumn + width}]`,
      );
    }
    if (grid.startRow + height > sheet.rowCount || grid.startColumn + width > sheet.columnCount) {
      throw invalid(
        `Range (${formatA1(sheet.title, grid.startRow, grid.startColumn, grid.startRow + height, grid.startColumn + width)}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`,
      );
    }
    const converted = rows.map((row) => row.map((value) => inputValue(value, option)));
    converted.forEach((row, r) => {
      const target = (sheet.rows[grid.startRow + r] ??= []);
      row.forEach((value, c) => {
        target[grid.startColumn + c] = value;
      });
    });
    const updatedCells = rows.reduce((sum, row) => sum + row.length, 0);
    return {
      spreadsheetId,
      updatedRange: formatA1(sheet.title, grid.startRow, grid.startColumn, grid.startRow + height, grid.startColumn + width),
      updatedRows: height,
      updatedColumns: width,
      updatedCells,
    };
  }

  append(
    spreadsheetId: string,
    range: string,
    values: unknown,
    option: ValueInputOption,
    insert: "OVERWRITE" | "INSERT_ROWS" = "OVERWRITE",
  ) {
    const rows = this.checkValues(values);
    const { sheet, grid } = this.resolve(spreadsheetId, range);
    const width = Math.max(1, ...rows.map((row) => row.length));
    if (grid.startColumn + width > sheet.columnCount) {
      throw invalid(
        `Range (${formatA1(sheet.title, grid.startRow, grid.startColumn, grid.startRow + 1, grid.startColumn + width)}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`,
      );
    }
    // The "table" is the block of rows with data from the range's first row down, in the range's columns.
    const lastColumn = grid.endColumn ?? sheet.columnCount;
    const hasData = (r: number) => (sheet.rows[r] ?? []).slice(grid.startColumn, lastColumn).some((cell) => cell !== undefined);
    let tableEnd = grid.startRow;
    for (let r = grid.startRow; r < sheet.rows.length; r += 1) if (hasData(r)) tableEnd = r + 1;
    const tableRange =
      tableEnd > grid.startRow
        ? formatA1(sheet.title, grid.startRow, grid.startColumn, tableEnd, Math.min(lastColumn, sheet.columnCount))
        : undefined;
    if (insert === "INSERT_ROWS") sheet.rows.splice(tableEnd, 0, ...rows.map(() => []));
    const needed = tableEnd + rows.length;
    // Appending grows the sheet by rows, as Google does.
    if (needed > sheet.rowCount) sheet.rowCount = needed;
    else if (insert === "INSERT_ROWS") sheet.rowCount += rows.length;
    const updates = this.update(
      spreadsheetId,
      formatA1(sheet.title, tableEnd, grid.startColumn, tableEnd + Math.max(1, rows.length), grid.startColumn + width),
      rows,
      option,
    );
    return { spreadsheetId, ...(tableRange ? { tableRange } : {}), updates };
  }

  clear(spreadsheetId: string, range: string): { spreadsheetId: string; clearedRange: string } {
    const { sheet, grid } = this.resolve(spreadsheetId, range);
    const endRow = Math.min(grid.endRow ?? sheet.rowCount, sheet.rowCount);
    const endColumn = Math.min(grid.endColumn ?? sheet.columnCount, sheet.columnCount);
    for (let r = grid.startRow; r < Math.min(endRow, sheet.rows.length); r += 1) {
      const row = sheet.rows[r];
      if (!row) continue;
      for (let c = grid.startColumn; c < endColumn; c += 1) row[c] = undefined;
    }
    return { spreadsheetId, clearedRange: formatA1(sheet.title, grid.startRow, grid.startColumn, endRow, endColumn) };
  }

  private checkValues(values: unknown): unknown[][] {
    if (!Array.isArray(values) || !values.every((row) => Array.isArray(row)))
      throw invalid("Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue)");
    return values as unknown[][];
  }

  private resolve(spreadsheetId: string, range: string): { sheet: SheetData; grid: GridRange } {
    const spreadsheet = this.spreadsheet(spreadsheetId);
    let grid: GridRange;
    try {
      grid = parseA1(range);
    } catch (error) {
      throw invalid(error instanceof A1Error ? error.message : `Unable to parse range: ${range}`);
    }
    const sheet = grid.sheet === undefined ? spreadsheet.sheets[0] : spreadsheet.sheets.find((s) => s.title === grid.sheet);
    if (!sheet) throw invalid(`Unable to parse range: ${range}`);
    return { sheet, grid };
  }
}
