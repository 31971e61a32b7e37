import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { sheetsSchema } from "./schemas/wa-sheets";
import { sheets as sheetsApi, sheets_v4 } from "@googleapis/sheets";
import { invalidSetting } from "../core/errors";
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from "../core/resilience/circuit-breaker";
import { TokenBucket } from "../core/resilience/token-bucket";
import { SheetsCallError } from "../core/sheets/append-batcher";
import { SheetsReadCache } from "../core/sheets/read-cache";
import { CellValue } from "../core/sheets/sheets-model";
import { googleSheetsReader } from "../core/sheets/google-sheets";
import { describeError, onClose } from "./kit/node-kit";
import { NodeAPI, NodeDef } from "./kit/red";
import { ServiceAccountTokens, readServiceAccountKey } from "../core/sheets/service-account";
import { StoreHandle, acquireStore } from "./kit/store-provider";
import { runtimeWorld } from "./kit/world";
import { acquireDemoSheets } from "./kit/demo-sheets";
import type { SheetsCredentials, WaSheetsNode } from "./kit/contracts";

type SheetsDef = NodeDef & FlowConfigOf<typeof sheetsSchema>;

export function sheetsSettingsFromConfig(config: SheetsDef) {
  const read = readSettingsBySchema(sheetsSchema, config);
  const { server, demoPort, spreadsheetId, apiRoot, requestsPerMinute, cacheStore } = read;
  const cache = { ttlMs: read.cacheSeconds * 1000, staleMs: read.staleSeconds * 1000 };
  const breaker = {
    ...DEFAULT_BREAKER_OPTIONS,
    failureRate: read.failureRate,
    minimumCalls: read.minimumCalls,
    windowMs: read.windowSeconds * 1000,
    resetTimeoutMs: read.resetSeconds * 1000,
  };
  return { server, demoPort, spreadsheetId, apiRoot, requestsPerMinute, cacheStore, cache, breaker };
}

/** A read through the breaker: refused at once while it is open; transient failures count against it. */
async function guardedRead(
  breaker: CircuitBreaker,
  read: (range: string) => Promise<CellValue[][]>,
  range: string,
): Promise<CellValue[][]> {
  if (!breaker.tryAcquire())
    throw new SheetsCallError("the Google Sheets breaker is open (too many recent failures); waiting before trying again", 503);
  try {
    const values = await read(range);
    breaker.recordSuccess();
    return values;
  } catch (error) {
    const failure =
      error instanceof SheetsCallError ? error : new SheetsCallError(error instanceof Error ? error.message : String(error), 0);
    if (failure.transient) breaker.recordFailure(`${failure.status || "no answer"}: ${failure.message.slice(0, 80)}`);
    else breaker.recordSuccess();
    throw failure;
  }
}

export default function register(RED: NodeAPI): void {
  function WaSheets(this: WaSheetsNode, config: SheetsDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    try {
      const settings = sheetsSettingsFromConfig(config);
      const clock = runtimeWorld().clock;
      let apiRoot = settings.apiRoot;
      if (settings.server === "demo") {
        const demo = acquireDemoSheets(settings.demoPort, node.id, clock);
        onClose(RED, node, () => demo.release());
        demo.ready.then(
          () => node.log(`demo Sheets server on ${demo.url} (not Google: its data is lost when Node-RED stops)`),
          (error: unknown) => {
            // Said where the nodes using this connection look for why it cannot be used, not only in the log.
            node.failure = describeError(RED, error);
            node.error(node.failure);
          },
        );
        apiRoot = demo.url;
        node.tokens = demo.authorizer;
      } else {
        const keyText = node.credentials?.key ?? "";
        if (keyText.trim() === "")
          throw invalidSetting(
            "key",
            "pasteKey",
            "Paste the service account's JSON key (Google Cloud › IAM › Service accounts › Keys) and share the sheet with its e-mail",
          );
        node.tokens = new ServiceAccountTokens(readServiceAccountKey(keyText), clock);
      }
      node.spreadsheetId = settings.spreadsheetId;
      node.api = sheetsApi({
        version: "v4",
        ...(apiRoot ? { rootUrl: `${apiRoot.replace(/\/+$/, "")}/` } : {}),
      } as sheets_v4.Options);
      node.breaker = new CircuitBreaker(clock, settings.breaker);
      const quota = new TokenBucket(clock, settings.requestsPerMinute);
      node.quota = quota;
      const read = googleSheetsReader(node.api, settings.spreadsheetId, {
        timeoutMs: 20_000,
        authorizer: node.tokens,
        beforeCall: () => quota.turn(),
      });
      const breaker = node.breaker;
      let cache: SheetsReadCache | undefined;
      let storeHandle: StoreHandle | undefined;
      node.readCache = () => {
        if (cache) return cache;
        // A store that cannot be had leaves the cache to this runtime: reads still work.
        try {
          storeHandle = acquireStore(RED, node.id, settings.cacheStore || undefined);
        } catch (error) {
          node.warn(describeError(RED, error));
        }
        cache = new SheetsReadCache(
          { namespace: settings.spreadsheetId, ttlMs: settings.cache.ttlMs, staleMs: settings.cache.staleMs, maxEntries: 200 },
          {
            clock,
            store: settings.cacheStore ? storeHandle?.store : undefined,
            fetch: (range) => guardedRead(breaker, read, range),
            refreshFailed: (range, error) => node.debug(`refreshing ${range}: ${describeError(RED, error)}`),
          },
        );
        return cache;
      };
      onClose(RED, node, () => storeHandle?.release());
    } catch (error) {
      node.failure = describeError(RED, error);
      node.error(node.failure);
    }
  }

  RED.nodes.registerType<WaSheetsNode, SheetsDef, unknown, SheetsCredentials>("wa-sheets", WaSheets, {
    credentials: { key: { type: "password" } },
  });
}
