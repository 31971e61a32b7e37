import type { sheets_v4 } from "@googleapis/sheets";
import { columnLetters, parseA1, quoteSheet } from "./a1";
import { SheetsCallError, SheetsWriter } from "./append-batcher";
import { CellValue } from "./sheets-model";

interface GaxiosLikeError {
  message?: string;
  status?: number;
  code?: string | number;
  response?: {
    status?: number;
    headers?: Record<string, string> | { get?(name: string): string | null };
    data?: { error?: { message?: string } };
  };
}

type Headers = Record<string, string> | { get?(name: string): string | null } | undefined;

function header(headers: Headers, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === "function")
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

/** Turns what @googleapis/sheets throws into what the batcher decides on. */
export function toSheetsCallError(error: unknown): SheetsCallError {
  const e = (error ?? {}) as GaxiosLikeError;
  const status = Number(e.response?.status ?? e.status ?? 0) || 0;
  const retryAfter = Number(header(e.response?.headers, "retry-after"));
  const message = e.response?.data?.error?.message ?? e.message ?? String(error);
  return new SheetsCallError(message, status, Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined);
}

export interface SheetsAuthorizer {
  header(): Promise<string>;
  invalidate(): void;
}

/** Runs a call with the authorizer's token; a 401 gets one more try with a fresh token. */
async function authorized<T>(authorizer: SheetsAuthorizer | undefined, call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
  const headersFor = async (): Promise<Record<string, string>> => {
    if (!authorizer) return {};
    try {
      return { Authorization: await authorizer.header() };
    } catch (error) {
      // The token service refused the key: as permanent as Google's 403.
      throw new SheetsCallError(error instanceof Error ? error.message : String(error), 403);
    }
  };
  try {
    return await call(await headersFor());
  } catch (error) {
    if (error instanceof SheetsCallError) throw error;
    const mapped = toSheetsCallError(error);
    if (mapped.status !== 401 || !authorizer) throw mapped;
    authorizer.invalidate();
    try {
      return await call(await headersFor());
    } catch (again) {
      throw again instanceof SheetsCallError ? again : toSheetsCallError(again);
    }
  }
}

/** Waits for the spreadsheet's request budget (the quota bucket) before each call. */
export type BeforeCall = () => Promise<void>;

export interface SheetsCallOptions {
  timeoutMs: number;
  authorizer?: SheetsAuthorizer;
  beforeCall?: BeforeCall;
  /** RAW: what is written is kept as text (a "=SUM(…)" stays text); USER_ENTERED: parsed as if typed (formulas run). */
  valueInputOption?: "RAW" | "USER_ENTERED";
}

function keyColumnRange(range: string, keyColumn: number): string {
  const grid = parseA1(range);
  const letters = columnLetters(grid.startColumn + keyColumn);
  return `${grid.sheet ? `${quoteSheet(grid.sheet)}!` : ""}${letters}:${letters}`;
}

/** The batcher's writer on Google's client: appends rows inserted after the table, reads keys, updates rows. */
export function googleSheetsWriter(api: sheets_v4.Sheets, spreadsheetId: string, options: SheetsCallOptions): SheetsWriter {
  const { timeoutMs, authorizer, beforeCall } = options;
  const valueInputOption = options.valueInputOption ?? "RAW";
  const keyColumnValues = async (range: string, keyColumn: number): Promise<unknown[][]> => {
    await beforeCall?.();
    const answer = await authorized(authorizer, (headers) =>
      api.spreadsheets.values.get(
        { spreadsheetId, range: keyColumnRange(range, keyColumn) },
        { timeout: timeoutMs, retry: false, headers },
      ),
    );
    return (answer.data.values ?? []) as unknown[][];
  };
  return {
    async append(range: string, rows: CellValue[][]): Promise<void> {
      await beforeCall?.();
      await authorized(authorizer, (headers) =>
        api.spreadsheets.values.append(
          { spreadsheetId, range, valueInputOption, insertDataOption: "INSERT_ROWS", requestBody: { values: rows } },
          { timeout: timeoutMs, retry: false, headers },
        ),
      );
    },
    async readKeys(range: string, keyColumn: number): Promise<Set<string>> {
      return new Set((await keyColumnValues(range, keyColumn)).map((row) => String(row[0] ?? "")).filter((key) => key !== ""));
    },
    async readKeyRows(range: string, keyColumn: number): Promise<Map<string, number>> {
      const positions = new Map<string, number>();
      (await keyColumnValues(range, keyColumn)).forEach((row, index) => {
        const key = String(row[0] ?? "");
        if (key !== "" && !positions.has(key)) positions.set(key, index);
      });
      return positions;
    },
    async updateRows(range: string, rows: { sheetRow: number; values: CellValue[] }[]): Promise<void> {
      const grid = parseA1(range);
      const sheet = grid.sheet ? `${quoteSheet(grid.sheet)}!` : "";
      const data = rows.map(({ sheetRow, values }) => ({
        range: `${sheet}${columnLetters(grid.startColumn)}${sheetRow + 1}`,
        values: [values],
      }));
      await beforeCall?.();
      await authorized(authorizer, (headers) =>
        api.spreadsheets.values.batchUpdate(
          { spreadsheetId, requestBody: { valueInputOption, data } },
          { timeout: timeoutMs, retry: false, headers },
        ),
      );
    },
  };
}

/** Reads a range as Google formats it for a person (numbers as numbers, formulas' results). */
export function googleSheetsReader(
  api: sheets_v4.Sheets,
  spreadsheetId: string,
  options: SheetsCallOptions,
): (range: string) => Promise<CellValue[][]> {
  const { timeoutMs, authorizer, beforeCall } = options;
  return async (range) => {
    await beforeCall?.();
    const answer = await authorized(authorizer, (headers) =>
      api.spreadsheets.values.get(
        { spreadsheetId, range, valueRenderOption: "UNFORMATTED_VALUE" },
        { timeout: timeoutMs, retry: false, headers },
      ),
    );
    return (answer.data.values ?? []) as CellValue[][];
  };
}
