import { writeEnvelopePart } from "../core/envelope";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { sheetsReadSchema } from "./schemas/wa-sheets-read";
import { WaError, invalidSetting } from "../core/errors";
import { A1Error, columnIndex, parseA1 } from "../core/sheets/a1";
import { SheetsCallError } from "../core/sheets/append-batcher";
import { lookupRows } from "../core/sheets/read-cache";
import { CellValue } from "../core/sheets/sheets-model";
import { failMessage, onClose, onInput, readMessageKey, startNode, traceMessage } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef } from "./kit/red";
import { sheetsConnection, WaSheetsNode } from "./kit/contracts";

type SheetsReadDef = NodeDef & FlowConfigOf<typeof sheetsReadSchema>;

export interface SheetsReadSettings {
  range: string;
  mode: "range" | "lookup";
  keyProperty: string;
  /** 0-based, within the range. */
  keyColumn: number;
  headerRow: boolean;
  property: string;
}

export function sheetsReadSettingsFromConfig(config: SheetsReadDef): SheetsReadSettings {
  const { range, mode, keyProperty, keyColumn: keyColumnText, headerRow, property } = readSettingsBySchema(sheetsReadSchema, config);
  let grid;
  try {
    grid = parseA1(range);
  } catch {
    throw invalidSetting(
      "range",
      "readRange",
      `Range: A1 notation such as Products!A:D or 'Price list'!A1:F500 (got ${range.slice(0, 60)})`,
      {
        got: range.slice(0, 60),
      },
    );
  }
  const keyColumnLetters = keyColumnText.toUpperCase();
  const keyColumn = columnIndex(keyColumnLetters) - grid.startColumn;
  if (mode === "lookup" && (keyColumn < 0 || (grid.endColumn !== undefined && keyColumn >= grid.endColumn - grid.startColumn))) {
    throw invalidSetting("keyColumn", "keyColumnOutside", `Key column ${keyColumnLetters} is outside the range ${range}`, {
      column: keyColumnLetters,
      range,
    });
  }
  return { range, mode, keyProperty, keyColumn, headerRow, property };
}

/** The values as a person would use them: objects named by the header row, or the rows themselves. */
function asRecords(values: CellValue[][], headerRow: boolean): Array<Record<string, CellValue> | CellValue[]> {
  if (!headerRow) return values;
  const header = (values[0] ?? []).map((h, i) => (String(h).trim() === "" ? `column${i + 1}` : String(h)));
  return values.slice(1).map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""])));
}

type ReadingSheets = WaSheetsNode & Required<Pick<WaSheetsNode, "readCache" | "breaker">>;
const canRead = (sheets: WaSheetsNode): sheets is ReadingSheets => sheets.readCache !== undefined && sheets.breaker !== undefined;

export default function register(RED: NodeAPI): void {
  function WaSheetsRead(this: Node, config: SheetsReadDef) {
    // The settings, then the connection they name: either one unusable disables the node with its reason.
    const started = startNode(RED, this, config, () => ({
      ...sheetsReadSettingsFromConfig(config),
      sheets: sheetsConnection(RED, config.sheets, canRead),
    }));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const { sheets } = settings;
    const readCache = sheets.readCache;
    const breaker = sheets.breaker;
    const showStatus = (force = false) =>
      status.set(() => {
        const cache = readCache();
        const hitRate = Math.round(cache.hitRate() * 100);
        const state = breaker.state();
        return {
          fill: state === "open" ? "red" : state === "half-open" ? "yellow" : "green",
          shape: "dot",
          text: nodeText("sheets.readCounts", `${cache.stats.reads} reads · ${hitRate}% from cache · breaker ${state}`, {
            reads: cache.stats.reads,
            hitRate,
            state,
          }),
        };
      }, force);

    onInput(RED, node, status, (msg, send, done) => {
      const startedAt = clock.now();
      let key = "";
      if (settings.mode === "lookup") {
        const raw = readMessageKey(RED, msg, settings.keyProperty);
        if (raw === undefined || raw === null || raw === "" || typeof raw === "object") {
          throw new WaError("key.missing", `No key to look up in msg.${settings.keyProperty}`, { property: settings.keyProperty });
        }
        key = String(raw).slice(0, 1000);
      }
      readCache()
        .read(settings.range)
        .then((read) => {
          const info = { range: settings.range, source: read.source, ageMs: read.ageMs };
          if (settings.mode === "range") {
            RED.util.setMessageProperty(msg, settings.property, asRecords(read.values, settings.headerRow), true);
            writeEnvelopePart(msg, "sheets", "read", {
              ...info,
              rows: read.values.length - (settings.headerRow && read.values.length > 0 ? 1 : 0),
            });
            traceMessage(msg, node, startedAt, clock.now());
            send([msg, null]);
          } else {
            const found = lookupRows(read.values, settings.keyColumn, key, settings.headerRow);
            RED.util.setMessageProperty(msg, settings.property, found.length === 1 ? found[0] : found, true);
            writeEnvelopePart(msg, "sheets", "read", { ...info, key, found: found.length });
            traceMessage(msg, node, startedAt, clock.now());
            send(found.length > 0 ? [msg, null] : [null, msg]);
          }
          showStatus();
          done();
        })
        .catch((error: unknown) => {
          const cause = error instanceof SheetsCallError ? error : undefined;
          const reason = error instanceof A1Error || !(error instanceof Error) ? String(error) : error.message;
          const code = cause?.status === 404 ? "sheets.notFound" : "sheets.readFailed";
          failMessage(
            RED,
            status,
            done,
            new WaError(code, `Google Sheets could not be read (${settings.range}): ${reason.slice(0, 200)}`, {
              range: settings.range,
              status: cause?.status ?? 0,
              reason: reason.slice(0, 200),
            }),
          );
        });
    });

    const unsubscribe = breaker.onChange(() => showStatus(true));
    showStatus(true);
    onClose(RED, node, () => {
      unsubscribe();
      status.close();
    });
  }

  RED.nodes.registerType("wa-sheets-read", WaSheetsRead);
}
