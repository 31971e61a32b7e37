import { Clock } from "../../core/clock";
import { invalidSetting } from "../../core/errors";
import { SheetsAuthorizer } from "../../core/sheets/google-sheets";
import { ServiceAccountTokens, readServiceAccountKey } from "../../core/sheets/service-account";
import { seedDemoSpreadsheet } from "../../emulator/demo";
import { SheetsEmulator } from "../../emulator/sheets-emulator";
import { SharedRegistry } from "./shared";

interface DemoServer {
  url: string;
  tokens: Promise<ServiceAccountTokens>;
  stop(): Promise<void>;
}

const demoServers = new SharedRegistry<DemoServer>();

function startDemoServer(port: number, clock: Clock): DemoServer {
  const emulator = new SheetsEmulator({ clock });
  seedDemoSpreadsheet(emulator);
  const url = `http://127.0.0.1:${port}`;
  let listening = false;
  const tokens = emulator.start(port, "127.0.0.1").then(
    () => {
      listening = true;
      return new ServiceAccountTokens(emulator.createServiceAccount("wa-pipeline-demo"), clock);
    },
    async (error: unknown) => {
      if ((error as { code?: unknown }).code !== "EADDRINUSE") throw error;
      // Another demo emulator there (another Node-RED on this machine, or npx wapipe-sheets-emulator): it is
      // shared, as a real spreadsheet would be, with a key it hands out.
      const answer = await fetch(`${url}/emulator/key`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      const key: unknown = answer?.ok ? await answer.json().catch(() => undefined) : undefined;
      if (typeof key !== "object" || key === null || typeof (key as { private_key?: unknown }).private_key !== "string") {
        throw invalidSetting(
          "demoPort",
          "demoPortTaken",
          `Port ${port} is taken by something that is not the Sheets demo server: choose another demo port`,
          { port },
        );
      }
      return new ServiceAccountTokens(readServiceAccountKey(JSON.stringify(key)), clock);
    },
  );
  tokens.catch(() => undefined);
  return {
    url,
    tokens,
    // A flow stopped while the server was still starting must not leave it listening.
    stop: async () => {
      await tokens.catch(() => undefined);
      if (listening) await emulator.stop();
    },
  };
}

/**
 * The built-in demo Sheets server on 127.0.0.1:`port`: the pack's Google Sheets emulator run inside this
 * Node-RED, so a flow can write and read "Google Sheets" with no account and nothing else to start. It is
 * reached over HTTP like Google, so the nodes run their real code; its data lives in memory. One per port
 * for the runtime, stopped when the last connection using it closes.
 */
export function acquireDemoSheets(
  port: number,
  holderId: string,
  clock: Clock,
): { url: string; authorizer: SheetsAuthorizer; ready: Promise<unknown>; release(): Promise<void> } {
  const key = String(port);
  const server = demoServers.acquire(
    key,
    holderId,
    () => startDemoServer(port, clock),
    (value) => value.stop(),
  );
  return {
    url: server.url,
    authorizer: {
      header: async () => (await server.tokens).header(),
      invalidate: () =>
        void server.tokens.then(
          (tokens) => tokens.invalidate(),
          () => undefined,
        ),
    },
    ready: server.tokens,
    release: () => demoServers.release(key, holderId),
  };
}
