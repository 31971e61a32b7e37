import type { sheets_v4 } from "@googleapis/sheets";
import { columnLetters, parseA1, quoteSheet } from "../../core/sheets/a1";
import { SheetsCallError, SheetsWriter } from "../../core/sheets/append-batcher";
import { CellValue } from "../../core/sheets/sheets-model";

interface GaxiosLikeError {
  message?: string;
  status?: number;
  code?: string | number;
  response?: { status?: number; headers?: Record<string, string> | { get?(name: string): string | null }; data?: { error?: { message?: string } } };
}

type Headers = Record<string, string> | { get?(name: string): string | null } | undefined;

function header(headers: Headers, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === "function") return (headers as { get(n: string): string | null }).get(name) ?? undefined;
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

/** The batcher's writer on Google's client: appends as RAW rows inserted after the table. */
export function googleSheetsWriter(api: sheets_v4.Sheets, spreadsheetId: string, timeoutMs: number, authorizer?: SheetsAuthorizer, beforeCall?: BeforeCall): SheetsWriter {
  return {
    async append(range: string, rows: CellValue[][]): Promise<void> {
      await beforeCall?.();
      await authorized(authorizer, (headers) =>
        api.spreadsheets.values.append({ spreadsheetId, range, valueInputOption: "RAW", insertDataOption: "INSERT_ROWS", requestBody: { values: rows } }, { timeout: timeoutMs, retry: false, headers }),
      );
    },
    async readKeys(range: string, keyColumn: number): Promise<Set<string>> {
      const grid = parseA1(range);
      const letters = columnLetters(grid.startColumn + keyColumn);
      const column = `${grid.sheet ? `${quoteSheet(grid.sheet)}!` : ""}${letters}:${letters}`;
      await beforeCall?.();
      const answer = await authorized(authorizer, (headers) => api.spreadsheets.values.get({ spreadsheetId, range: column }, { timeout: timeoutMs, retry: false, headers }));
      return new Set((answer.data.values ?? []).map((row) => String(row[0] ?? "")).filter((key) => key !== ""));
    },
  };
}

/** Reads a range as Google formats it for a person (numbers as numbers, formulas' results). */
export function googleSheetsReader(api: sheets_v4.Sheets, spreadsheetId: string, timeoutMs: number, authorizer?: SheetsAuthorizer, beforeCall?: BeforeCall): (range: string) => Promise<CellValue[][]> {
  return async (range) => {
    await beforeCall?.();
    const answer = await authorized(authorizer, (headers) =>
      api.spreadsheets.values.get({ spreadsheetId, range, valueRenderOption: "UNFORMATTED_VALUE" }, { timeout: timeoutMs, retry: false, headers }),
    );
    return (answer.data.values ?? []) as CellValue[][];
  };
}
