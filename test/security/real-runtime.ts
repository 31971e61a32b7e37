// Helpers for the security and chaos suite: a real Node-RED started from its command line, as a user runs it.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunningNodeRed, linkedUserDir, repoRoot, startNodeRed, waitFor } from "../e2e/runtime";
import { webhookDelivery } from "../support/meta-signature";

export const packageName = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string }).name;

export const ADMIN = { username: "admin", password: "admin-pass-for-tests", scope: "*" };
export const READER = { username: "reader", password: "reader-pass-for-tests", scope: "read" };

/** settings.js lines that turn adminAuth on with a full-permission admin and a read-only user. */
export function adminAuthSettings(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require("bcryptjs") as { hashSync(text: string, rounds: number): string };
  const user = (who: { username: string; password: string }, permissions: string) =>
    `{ username: ${JSON.stringify(who.username)}, password: ${JSON.stringify(bcrypt.hashSync(who.password, 4))}, permissions: ${JSON.stringify(permissions)} }`;
  return `adminAuth: { type: "credentials", users: [${user(ADMIN, "*")}, ${user(READER, "read")}] },`;
}

export function freshUserDir(label: string, extraSettings = ""): { dir: string; userDir: string } {
  const dir = mkdtempSync(join(tmpdir(), `wa-sec-${label}-`));
  const userDir = join(dir, "userdir");
  linkedUserDir(userDir, packageName, extraSettings);
  return { dir, userDir };
}

/** An editor token as the editor's login gets one (adminAuth on). */
export async function loginToken(adminUrl: string, who: { username: string; password: string; scope: string }): Promise<string> {
  const response = await fetch(`${adminUrl}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: "node-red-editor",
      grant_type: "password",
      scope: who.scope,
      username: who.username,
      password: who.password,
    }).toString(),
  });
  if (!response.ok) throw new Error(`login as ${who.username}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export type DeployType = "full" | "flows" | "nodes" | "reload";

/**
 * Deploys flows through the admin API as the editor's Deploy button does ("reload" restarts the flows),
 * and waits until the runtime logs that the flows started again.
 */
export async function deploy(
  runtime: RunningNodeRed,
  flows: unknown[],
  options: { type?: DeployType; adminRoot?: string; token?: string } = {},
): Promise<void> {
  const type = options.type ?? "full";
  const adminUrl = `${runtime.url}${options.adminRoot ?? ""}`;
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "Node-RED-API-Version": "v2",
    "Node-RED-Deployment-Type": type,
  };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const current = await fetch(`${adminUrl}/flows`, { headers: { ...headers, Accept: "application/json" } });
  if (!current.ok) throw new Error(`GET /flows: ${current.status}`);
  const { rev } = (await current.json()) as { rev: string };
  const startedBefore = runtime.logs.filter((line) => line.includes("Started flows") || line.includes("Started modified")).length;
  const response = await fetch(`${adminUrl}/flows`, {
    method: "POST",
    headers,
    body: JSON.stringify(type === "reload" ? { rev } : { flows, rev }),
  });
  if (!response.ok) throw new Error(`deploy (${type}): ${response.status} ${await response.text()}`);
  await waitFor(
    () => runtime.logs.filter((line) => line.includes("Started flows") || line.includes("Started modified")).length > startedBefore,
    60_000,
    `the flows to start after a ${type} deploy`,
  );
}

export { metaSignature } from "../support/meta-signature";

/** A Cloud API delivery of one text message sent `ageSeconds` ago. */
export function cloudDelivery(id: string, text: string, ageSeconds = 5, from = "447700900123"): string {
  return webhookDelivery(from, Date.now() - ageSeconds * 1000, { id, type: "text", text: { body: text } }, "Priya");
}

export function fileLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Child processes of a process (a browser, a worker process) from /proc. */
export function childProcesses(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // The process ended while it was read.
    }
  }
  return children;
}

/** Uncaught exceptions and crashes as Node-RED logs them. */
export function crashLines(logs: string[]): string[] {
  return logs.filter((line) =>
    /Uncaught Exception|UnhandledPromiseRejection|unhandledRejection|TypeError: Cannot read properties of null/.test(line),
  );
}

export type { RunningNodeRed };
export { startNodeRed };
