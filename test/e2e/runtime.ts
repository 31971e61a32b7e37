import { ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import WebSocket from "ws";

export const repoRoot = join(__dirname, "..", "..");
export const nodeRedMain = require.resolve("node-red/red.js");

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/** Node-RED's settings.js for a test user directory; `extra` adds lines inside the exported object. */
export function writeSettings(userDir: string, extra = ""): void {
  writeFileSync(
    join(userDir, "settings.js"),
    `module.exports = {
  uiHost: "127.0.0.1",
  flowFile: "flows.json",
  credentialSecret: "e2e-only-secret",
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  editorTheme: { projects: { enabled: false }, tours: false },
  logging: { console: { level: "info" } },
${extra}
};
`,
  );
}

/** A user directory that loads the pack from the working tree (as `npm install <path>` would link it). */
export function linkedUserDir(userDir: string, name: string, extraSettings = ""): void {
  const link = join(userDir, "node_modules", ...name.split("/"));
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(repoRoot, link, "dir");
  writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "e2e", private: true }));
  writeSettings(userDir, extraSettings);
}

export interface RunningNodeRed {
  url: string;
  port: number;
  pid: number;
  logs: string[];
  stop(): Promise<void>;
  /** kill -9: no close handlers, no flush; what a power cut or an OOM kill leaves. */
  killHard(): Promise<void>;
}

/** Starts Node-RED as a child process with a user directory, as a user would run it. */
export async function startNodeRed(
  userDir: string,
  startupTimeoutMs = 60_000,
  env: Record<string, string> = {},
  /** The runtime's "Started flows" line, in the language of its log (settings.js `lang`). */
  startedText = "Started flows",
): Promise<RunningNodeRed> {
  const port = await freePort();
  const logs: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [nodeRedMain, "--userDir", userDir, "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: "false", ...env },
  });
  const record = (chunk: Buffer) => logs.push(...chunk.toString().split("\n").filter(Boolean));
  child.stdout!.on("data", record);
  child.stderr!.on("data", record);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startupTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}):\n${logs.join("\n")}`);
    if (logs.some((line) => line.includes(startedText))) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Node-RED did not start within ${startupTimeoutMs} ms:\n${logs.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    port,
    pid: child.pid ?? 0,
    logs,
    async killHard() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const exited = once(child, "exit");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export interface CommsMessage {
  topic: string;
  data: Record<string, unknown>;
}

/** Listens to the editor's comms socket (debug messages, statuses), as the editor does. */
export function listenToComms(baseUrl: string): { messages: CommsMessage[]; close(): void; opened: Promise<void> } {
  const socket = new WebSocket(`${baseUrl.replace("http", "ws")}/comms`);
  const messages: CommsMessage[] = [];
  const opened = new Promise<void>((resolve, reject) => {
    socket.on("open", () => {
      socket.send(JSON.stringify({ subscribe: "#" }));
      resolve();
    });
    socket.on("error", reject);
  });
  socket.on("message", (data) => {
    for (const message of JSON.parse(String(data)) as CommsMessage[]) messages.push(message);
  });
  return { messages, close: () => socket.close(), opened };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A wa-sheets connection to the loopback Sheets emulator, with the breaker and quota the end-to-end runs use. */
export function emulatorSheetsNode(id: string, spreadsheetId: string, apiRoot: string): Record<string, unknown> {
  return {
    id,
    type: "wa-sheets",
    name: "emulator",
    spreadsheetId,
    apiRoot,
    failureRate: 0.5,
    minimumCalls: 5,
    windowSeconds: 60,
    resetSeconds: 5,
    requestsPerMinute: 600,
    cacheSeconds: 60,
    staleSeconds: 300,
    cacheStore: "",
  };
}

/** A simulated connection playing a chat script file once, at the given pace (the form's texts: speed, seconds). */
export function scriptedClientNode(
  id: string,
  scriptPath: string,
  pace: { speed: string; maxGap: string; stagger: string; startDelay: string },
): Record<string, unknown> {
  return { id, type: "wa-client", name: "", mode: "simulator", source: "file", scriptPath, ...pace, loop: false };
}
