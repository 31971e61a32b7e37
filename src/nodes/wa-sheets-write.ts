import { deliveryOf, writeEnvelopePart } from "../core/envelope";
import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { sheetsWriteSchema } from "./schemas/wa-sheets-write";
import { WaError, invalidSetting } from "../core/errors";
import { parseA1 } from "../core/sheets/a1";
import { AppendBatcher, PendingRow } from "../core/sheets/append-batcher";
import { CellValue } from "../core/sheets/sheets-model";
import { googleSheetsWriter } from "../core/sheets/google-sheets";
import { attachError, onClose, onInput, readMessageKey, startNode, toNodeError, traceMessage, reportGauges, onDrain } from "./kit/node-kit";
import { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from "./kit/red";
import { sheetsConnection, WaSheetsNode } from "./kit/contracts";

type SheetsWriteDef = NodeDef & FlowConfigOf<typeof sheetsWriteSchema>;

export interface SheetsWriteSettings {
  range: string;
  /** Message properties, one per column; the first is the row's dedupe key. */
  columns: string[];
  windowMs: number;
  maxRows: number;
  giveUpAfterMs: number;
  /** append: a new row per message; upsert: the row with the message's key updated, or appended. */
  mode: "append" | "upsert";
  valueInput: "RAW" | "USER_ENTERED";
}

export function sheetsWriteSettingsFromConfig(config: SheetsWriteDef): SheetsWriteSettings {
  const read = readSettingsBySchema(sheetsWriteSchema, config);
  try {
    parseA1(read.range);
  } catch {
    throw invalidSetting(
      "range",
      "writeRange",
      `Range: A1 notation such as Sheet1!A1 or 'Orders 2026'!A:F (got ${read.range.slice(0, 60)})`,
      {
        got: read.range.slice(0, 60),
      },
    );
  }
  const columns = read.columns
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (columns.length === 0 || columns.length > 50 || !columns.every((c) => /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/.test(c))) {
    throw invalidSetting("columns", "columns", `Columns: ${sheetsWriteSchema.columns.expects}`);
  }
  const { range, windowMs, maxRows, giveUpMinutes, mode, valueInput } = read;
  return { range, columns, windowMs, maxRows, giveUpAfterMs: giveUpMinutes * 60_000, mode, valueInput };
}

interface Held {
  msg: NodeMessage;
  send: SendFunction;
  done: DoneFunction;
  acceptedAt: number;
}

type WritingSheets = WaSheetsNode & Required<Pick<WaSheetsNode, "api" | "breaker" | "spreadsheetId">>;
const canWrite = (sheets: WaSheetsNode): sheets is WritingSheets =>
  sheets.api !== undefined && sheets.breaker !== undefined && Boolean(sheets.spreadsheetId);

export default function register(RED: NodeAPI): void {
  function WaSheetsWrite(this: Node, config: SheetsWriteDef) {
    // The settings, then the connection they name: either one unusable disables the node with its reason.
    const started = startNode(RED, this, config, () => ({
      ...sheetsWriteSettingsFromConfig(config),
      sheets: sheetsConnection(RED, config.sheets, canWrite),
    }));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    const { sheets } = settings;
    let written = 0;
    let deadLettered = 0;
    const quota = sheets.quota;
    const writtenSheet = parseA1(settings.range).sheet ?? "";
    const showStatus = (force = false) =>
      status.set(() => {
        const state = sheets.breaker!.state();
        const text = nodeText(
          "sheets.counts",
          `${written} written · ${batcher.pending} waiting · ${deadLettered} dead-lettered · breaker ${state}`,
          { written, pending: batcher.pending, deadLettered, state },
        );
        return {
          fill: state === "open" ? "red" : state === "half-open" || batcher.pending > 0 ? "yellow" : "green",
          shape: batcher.pending > 0 ? "ring" : "dot",
          text,
        };
      }, force);

    reportGauges(node, () => ({
      numbers: { rowsWritten: written, rowsWaiting: batcher.pending, rowsDeadLettered: deadLettered },
      states: { breaker: sheets.breaker!.state() },
    }));
    const batcher = new AppendBatcher<Held>(
      {
        range: settings.range,
        keyColumn: 0,
        windowMs: settings.windowMs,
        maxRows: settings.maxRows,
        backoffMs: 1000,
        maxBackoffMs: 60_000,
        giveUpAfterMs: settings.giveUpAfterMs,
        checkKeysFirst: true,
        mode: settings.mode,
      },
      {
        clock,
        random: Math.random,
        breaker: sheets.breaker,
        writer: googleSheetsWriter(sheets.api, sheets.spreadsheetId, {
          timeoutMs: 20_000,
          authorizer: sheets.tokens,
          beforeCall: quota ? () => quota.turn() : undefined,
          valueInputOption: settings.valueInput,
        }),
        written: (rows: PendingRow<Held>[], alreadyThere: boolean) => {
          if (!alreadyThere)
            void sheets
              .readCache?.()
              .invalidate(writtenSheet)
              .catch((error: unknown) => node.debug(`cache: ${String(error)}`));
          for (const { context, key } of rows) {
            writeEnvelopePart(context.msg, "sheets", "write", {
              range: settings.range,
              key,
              written: true,
              ...(settings.mode === "upsert" ? { mode: "upsert" as const } : {}),
              ...(alreadyThere ? { foundAfterLostAnswer: true as const } : {}),
            });
            traceMessage(context.msg, node, context.acceptedAt, clock.now());
            context.send([context.msg, null]);
            context.done();
            written += 1;
          }
          showStatus();
        },
        failed: (row, error) => {
          deadLettered += 1;
          // The dead-letter output carries the message and its cause; the input is done, nothing is lost.
          attachError(RED, node, row.context.msg, error);
          traceMessage(row.context.msg, node, row.context.acceptedAt, clock.now());
          row.context.send([null, row.context.msg]);
          row.context.done();
          showStatus(true);
        },
        retrying: (rows, error, delayMs) => {
          node.debug(`${rows} rows: ${error.message} (HTTP ${error.status || "none"}); trying again in ${delayMs} ms`);
          showStatus();
        },
      },
    );
    const unsubscribe = sheets.breaker.onChange((state, reason) => {
      if (state === "open") node.warn(nodeText("sheets.breakerOpen", `Google Sheets breaker open: ${reason}`, { reason }));
      showStatus(true);
    });
    showStatus(true);

    onInput(RED, node, status, (msg, send, done) => {
      const acceptedAt = clock.now();
      const row: CellValue[] = settings.columns.map((path) => {
        // A column whose property is missing (a stage left out of the flow) is a blank cell.
        const value = readMessageKey(RED, msg, path);
        if (value === undefined || value === null) return "";
        if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
        return JSON.stringify(value);
      });
      const key = String(row[0]);
      if (key === "") {
        throw new WaError("key.missing", `The message has no dedupe key in msg.${settings.columns[0]} (the first column)`, {
          property: settings.columns[0],
        });
      }
      // A queue redelivery (after a crash or an ack timeout), a dead-letter replay or a message an outbox kept
      // across a restart may already be in the sheet.
      const delivery = deliveryOf(msg);
      const mayExist = delivery.count > 1 || delivery.replay || delivery.restored;
      batcher.add(key, row, { msg, send, done, acceptedAt }, mayExist);
      showStatus();
    });

    onDrain(node, () => batcher.hurry());
    onClose(RED, node, () => {
      unsubscribe();
      status.close();
      for (const row of batcher.close()) {
        row.context.done(toNodeError(RED, new WaError("sheets.closed", "The Sheets writer is stopping; the row was not written", {})));
      }
    });
  }

  RED.nodes.registerType("wa-sheets-write", WaSheetsWrite);
}
