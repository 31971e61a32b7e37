import { createVerify, generateKeyPairSync, randomBytes } from "node:crypto";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { Clock, systemClock } from "../core/clock";
import { SheetsApiError, SheetsModel, ValueInputOption, ValueRenderOption } from "../core/sheets/sheets-model";

/**
 * A loopback Google Sheets API v4 server for tests, benchmarks and the no-account demo.
 * It answers the values endpoints and spreadsheets.get like Google (JSON shapes, A1 ranges,
 * google.rpc.Status errors), enforces per-minute quotas per user and per project, and takes
 * injected faults: 429 storms, 500/503, latency, hangs, dropped connections, outage windows.
 * Every call is counted.
 */
export interface EmulatorQuotas {
  readPerMinutePerUser: number;
  writePerMinutePerUser: number;
  readPerMinutePerProject: number;
  writePerMinutePerProject: number;
}

export const GOOGLE_DEFAULT_QUOTAS: EmulatorQuotas = {
  readPerMinutePerUser: 60,
  writePerMinutePerUser: 60,
  readPerMinutePerProject: 300,
  writePerMinutePerProject: 300,
};

export interface EmulatorFaults {
  /** Share of calls answered 429 RESOURCE_EXHAUSTED regardless of quota (0..1). */
  rateLimitShare: number;
  /** Share answered 500 INTERNAL, and 503 UNAVAILABLE. */
  internalErrorShare: number;
  unavailableShare: number;
  /** Share of connections closed without an answer, and of requests never answered. */
  dropShare: number;
  hangShare: number;
  /** Share of successful writes whose answer is lost (done, then the connection drops). */
  lostAnswerShare: number;
  latencyMs: number;
  /** Answer 503 to everything between these times (emulator clock, Unix ms). */
  outages: { from: number; until: number }[];
}

const NO_FAULTS: EmulatorFaults = {
  rateLimitShare: 0,
  internalErrorShare: 0,
  unavailableShare: 0,
  dropShare: 0,
  hangShare: 0,
  lostAnswerShare: 0,
  latencyMs: 0,
  outages: [],
};

export interface EmulatorOptions {
  clock?: Clock;
  /** Deterministic randomness for faults (seeded in tests). */
  random?: () => number;
  quotas?: Partial<EmulatorQuotas>;
  /** Access tokens that are valid; each is its own "user". Empty: any bearer token is accepted. */
  tokens?: string[];
  /** Tokens that have been revoked: answered 403 PERMISSION_DENIED. */
  revokedTokens?: string[];
}

/** A service-account key as Google's console downloads it, pointing at this emulator. */
export interface ServiceAccountKey {
  type: "service_account";
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

export interface CallCounts {
  total: number;
  reads: number;
  writes: number;
  byMethod: Record<string, number>;
  rejectedByQuota: number;
  faultsInjected: number;
}

type Route = {
  method: string;
  kind: "read" | "write";
  name: string;
  run(spreadsheetId: string, range: string | undefined, query: URLSearchParams, body: unknown): unknown;
};

export class SheetsEmulator {
  readonly model = new SheetsModel();
  readonly counts: CallCounts = { total: 0, reads: 0, writes: 0, byMethod: {}, rejectedByQuota: 0, faultsInjected: 0 };
  faults: EmulatorFaults = { ...NO_FAULTS };
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly quotas: EmulatorQuotas;
  private readonly windows = new Map<string, { minute: number; count: number }>();
  private server?: Server;
  private readonly hanging = new Set<ServerResponse>();
  /** Service accounts the token endpoint knows: client_email → public key (PEM). */
  private readonly serviceAccounts = new Map<string, string>();
  private readonly revokedAccounts = new Set<string>();
  /** Access tokens issued by the token endpoint: token → client_email (the quota "user"). */
  private readonly issued = new Map<string, string>();
  url = "";

  constructor(private readonly options: EmulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.quotas = { ...GOOGLE_DEFAULT_QUOTAS, ...options.quotas };
  }

  async start(port = 0, host = "127.0.0.1"): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    // A port already taken rejects (EADDRINUSE) instead of throwing from an unheard 'error' event.
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => {
        this.server!.off("error", reject);
        resolve();
      });
    });
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  /** Makes a service account this emulator trusts, and its key file (token_uri is the emulator's). */
  createServiceAccount(name = "wa-pipeline"): ServiceAccountKey {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const email = `${name}@emulator-project.iam.gserviceaccount.com`;
    this.serviceAccounts.set(email, publicKey.export({ type: "spki", format: "pem" }).toString());
    return {
      type: "service_account",
      project_id: "emulator-project",
      private_key_id: randomBytes(20).toString("hex"),
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: email,
      client_id: String(100000000000000000000n + BigInt(this.serviceAccounts.size)),
      token_uri: `${this.url}/token`,
    };
  }

  /** The key is deleted in the console: its tokens and new token requests are refused. */
  revokeServiceAccount(email: string): void {
    this.revokedAccounts.add(email);
  }

  setFaults(faults: Partial<EmulatorFaults>): void {
    this.faults = { ...NO_FAULTS, ...faults };
  }

  private routes(): Route[] {
    const m = this.model;
    const valueInput = (q: URLSearchParams, body?: unknown): ValueInputOption => {
      const given =
        q.get("valueInputOption") ??
        (typeof body === "object" && body !== null ? (body as { valueInputOption?: string }).valueInputOption : undefined);
      if (given !== "RAW" && given !== "USER_ENTERED")
        throw new SheetsApiError(400, "INVALID_ARGUMENT", "'valueInputOption' is required but not specified");
      return given;
    };
    const render = (q: URLSearchParams) => (q.get("valueRenderOption") ?? "FORMATTED_VALUE") as ValueRenderOption;
    const values = (body: unknown) => (typeof body === "object" && body !== null ? (body as { values?: unknown }).values : undefined);
    return [
      {
        method: "GET",
        kind: "read",
        name: "spreadsheets.get",
        run: (id) => {
          const s = m.spreadsheet(id);
          return {
            spreadsheetId: id,
            properties: { title: s.title, locale: "en_US", timeZone: "Etc/GMT" },
            sheets: s.sheets.map((sheet, index) => ({
              properties: {
                sheetId: sheet.sheetId,
                title: sheet.title,
                index,
                sheetType: "GRID",
                gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount },
              },
            })),
          };
        },
      },
      { method: "GET", kind: "read", name: "values.get", run: (id, range, q) => m.get(id, range!, render(q)) },
      {
        method: "GET",
        kind: "read",
        name: "values.batchGet",
        run: (id, _range, q) => ({ spreadsheetId: id, valueRanges: q.getAll("ranges").map((r) => m.get(id, r, render(q))) }),
      },
      {
        method: "PUT",
        kind: "write",
        name: "values.update",
        run: (id, range, q, body) => m.update(id, range!, values(body), valueInput(q)),
      },
      {
        method: "POST",
        kind: "write",
        name: "values.append",
        run: (id, range, q, body) =>
          m.append(id, range!, values(body), valueInput(q), q.get("insertDataOption") === "INSERT_ROWS" ? "INSERT_ROWS" : "OVERWRITE"),
      },
      {
        method: "POST",
        kind: "write",
        name: "values.batchUpdate",
        run: (id, _range, q, body) => {
          const option = valueInput(q, body);
          const data = (typeof body === "object" && body !== null ? (body as { data?: unknown }).data : undefined) ?? [];
          if (!Array.isArray(data)) throw new SheetsApiError(400, "INVALID_ARGUMENT", "Invalid value at 'data'");
          // Google checks every range before writing any: all or nothing.
          for (const entry of data as { range?: string; values?: unknown }[]) m.get(id, String(entry.range ?? ""));
          const responses = (data as { range?: string; values?: unknown }[]).map((entry) =>
            m.update(id, String(entry.range), entry.values, option),
          );
          return {
            spreadsheetId: id,
            totalUpdatedRows: responses.reduce((s, r) => s + r.updatedRows, 0),
            totalUpdatedColumns: Math.max(0, ...responses.map((r) => r.updatedColumns)),
            totalUpdatedCells: responses.reduce((s, r) => s + r.updatedCells, 0),
            totalUpdatedSheets: new Set(responses.map((r) => r.updatedRange.split("!")[0])).size,
            responses,
          };
        },
      },
      { method: "POST", kind: "write", name: "values.clear", run: (id, range) => m.clear(id, range!) },
    ];
  }

  private route(method: string, path: string): { route: Route; spreadsheetId: string; range?: string } | undefined {
    const match = /^\/v4\/spreadsheets\/([A-Za-z0-9_-]+)(?:\/values(?::(batchGet|batchUpdate)|\/([^:]+)(?::(append|clear))?))?$/.exec(path);
    if (!match) return undefined;
    const [, spreadsheetId, batch, rawRange, action] = match;
    const range = rawRange === undefined ? undefined : decodeURIComponent(rawRange);
    const name =
      !batch && rawRange === undefined
        ? "spreadsheets.get"
        : batch
          ? `values.${batch}`
          : action
            ? `values.${action}`
            : method === "PUT"
              ? "values.update"
              : "values.get";
    const route = this.routes().find((r) => r.name === name && r.method === method);
    return route ? { route, spreadsheetId, range } : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 10 * 1024 * 1024) {
        this.fail(res, new SheetsApiError(413, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 10485760 bytes."));
        return;
      }
      chunks.push(chunk as Buffer);
    }
    if (url.pathname === "/emulator/key" && req.method === "GET") {
      // For the editor's "get a key from the emulator" button (another origin, hence CORS).
      res.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
      res.end(JSON.stringify(this.createServiceAccount(`editor-${this.serviceAccounts.size + 1}`)));
      return;
    }
    if (url.pathname === "/token" && req.method === "POST") {
      this.issueToken(Buffer.concat(chunks).toString("utf8"), res);
      return;
    }
    const found = this.route(req.method ?? "GET", url.pathname);
    this.counts.total += 1;
    if (!found) {
      this.fail(res, new SheetsApiError(404, "NOT_FOUND", `Method not found: ${req.method} ${url.pathname}`));
      return;
    }
    const { route, spreadsheetId, range } = found;
    this.counts.byMethod[route.name] = (this.counts.byMethod[route.name] ?? 0) + 1;
    if (route.kind === "read") this.counts.reads += 1;
    else this.counts.writes += 1;

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const account = token ? this.issued.get(token) : undefined;
    if (account && this.revokedAccounts.has(account)) {
      this.fail(res, new SheetsApiError(403, "PERMISSION_DENIED", "The caller does not have permission"));
      return;
    }
    const knownTokens = this.options.tokens && this.options.tokens.length > 0;
    if (
      !token ||
      (knownTokens && !account && !this.options.tokens!.includes(token) && !this.options.revokedTokens?.includes(token)) ||
      (!knownTokens && this.serviceAccounts.size > 0 && !account)
    ) {
      this.fail(
        res,
        new SheetsApiError(
          401,
          "UNAUTHENTICATED",
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        ),
      );
      return;
    }
    if (this.options.revokedTokens?.includes(token)) {
      this.fail(res, new SheetsApiError(403, "PERMISSION_DENIED", "The caller does not have permission"));
      return;
    }
    if (await this.injectFault(res)) return;
    const quota = this.takeQuota(route.kind, account ?? token);
    if (quota) {
      this.counts.rejectedByQuota += 1;
      this.fail(res, quota);
      return;
    }
    let body: unknown;
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        this.fail(res, new SheetsApiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received."));
        return;
      }
    }
    try {
      const answer = route.run(spreadsheetId, range, url.searchParams, body);
      if (route.kind === "write" && this.faults.lostAnswerShare > 0 && this.random() < this.faults.lostAnswerShare) {
        this.counts.faultsInjected += 1;
        res.socket?.destroy();
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json; charset=UTF-8" });
      res.end(JSON.stringify(answer));
    } catch (error) {
      this.fail(res, error instanceof SheetsApiError ? error : new SheetsApiError(500, "INTERNAL", "Internal error encountered."));
    }
  }

  /** OAuth 2 token endpoint (JWT bearer grant), as a service account's key asks it for an access token. */
  private issueToken(body: string, res: ServerResponse): void {
    const oauthError = (status: number, error: string, description: string) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error, error_description: description }));
    };
    const form = new URLSearchParams(body);
    const assertion = form.get("assertion") ?? "";
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer" || assertion.split(".").length !== 3) {
      oauthError(400, "invalid_grant", "Invalid grant: not a JWT bearer assertion.");
      return;
    }
    const [header, payload, signature] = assertion.split(".");
    let claims: { iss?: string; exp?: number; scope?: string };
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof claims;
    } catch {
      oauthError(400, "invalid_grant", "Invalid JWT payload.");
      return;
    }
    const publicKey = claims.iss ? this.serviceAccounts.get(claims.iss) : undefined;
    if (!publicKey || this.revokedAccounts.has(claims.iss ?? "")) {
      oauthError(400, "invalid_grant", "Invalid grant: account not found");
      return;
    }
    const verifier = createVerify("RSA-SHA256");
    verifier.update(`${header}.${payload}`);
    if (!verifier.verify(publicKey, Buffer.from(signature, "base64url"))) {
      oauthError(400, "invalid_grant", "Invalid JWT Signature.");
      return;
    }
    const token = `ya29.emulator-${randomBytes(16).toString("hex")}`;
    this.issued.set(token, claims.iss!);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ access_token: token, expires_in: 3599, token_type: "Bearer" }));
  }

  /** Per-minute windows, as Google's "per minute per user" and "per minute per project" quotas. */
  private takeQuota(kind: "read" | "write", user: string): SheetsApiError | undefined {
    const minute = Math.floor(this.clock.now() / 60_000);
    const metric = kind === "read" ? "Read requests" : "Write requests";
    const checks: [string, number, string][] = [
      [
        `user:${user}:${kind}`,
        kind === "read" ? this.quotas.readPerMinutePerUser : this.quotas.writePerMinutePerUser,
        `${metric} per minute per user`,
      ],
      [
        `project:${kind}`,
        kind === "read" ? this.quotas.readPerMinutePerProject : this.quotas.writePerMinutePerProject,
        `${metric} per minute`,
      ],
    ];
    for (const [key, limit, name] of checks) {
      const window = this.windows.get(key);
      if (window && window.minute === minute && window.count >= limit) {
        return new SheetsApiError(
          429,
          "RESOURCE_EXHAUSTED",
          `Quota exceeded for quota metric '${metric}' and limit '${name}' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.`,
        );
      }
    }
    for (const [key] of checks) {
      const window = this.windows.get(key);
      if (window && window.minute === minute) window.count += 1;
      else this.windows.set(key, { minute, count: 1 });
    }
    return undefined;
  }

  /** True when the request was answered (or dropped) by a fault. */
  private async injectFault(res: ServerResponse): Promise<boolean> {
    const f = this.faults;
    if (f.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, f.latencyMs));
    const now = this.clock.now();
    if (f.outages.some((o) => now >= o.from && now < o.until)) {
      this.counts.faultsInjected += 1;
      this.fail(res, new SheetsApiError(503, "UNAVAILABLE", "The service is currently unavailable."));
      return true;
    }
    const roll = this.random();
    let edge = 0;
    const pick = (share: number) => share > 0 && roll < (edge += share);
    if (pick(f.rateLimitShare)) {
      this.counts.faultsInjected += 1;
      this.fail(
        res,
        new SheetsApiError(
          429,
          "RESOURCE_EXHAUSTED",
          "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.",
        ),
        { "Retry-After": "1" },
      );
      return true;
    }
    if (pick(f.internalErrorShare)) {
      this.counts.faultsInjected += 1;
      this.fail(res, new SheetsApiError(500, "INTERNAL", "Internal error encountered."));
      return true;
    }
    if (pick(f.unavailableShare)) {
      this.counts.faultsInjected += 1;
      this.fail(res, new SheetsApiError(503, "UNAVAILABLE", "The service is currently unavailable."));
      return true;
    }
    if (pick(f.dropShare)) {
      this.counts.faultsInjected += 1;
      res.socket?.destroy();
      return true;
    }
    if (pick(f.hangShare)) {
      this.counts.faultsInjected += 1;
      this.hanging.add(res);
      return true;
    }
    return false;
  }

  private fail(res: ServerResponse, error: SheetsApiError, headers: Record<string, string> = {}): void {
    res.writeHead(error.code, { "Content-Type": "application/json; charset=UTF-8", ...headers });
    res.end(JSON.stringify({ error: { code: error.code, message: error.message, status: error.status } }));
  }
}
