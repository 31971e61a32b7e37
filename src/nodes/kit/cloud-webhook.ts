import type { IncomingMessage, ServerResponse } from "node:http";
import { CLOUD_LIMITS } from "../../core/transport/cloud-api";
import { CloudApiTransport } from "../../core/transport/cloud-transport";
import { WaError, invalidSetting } from "../../core/errors";
import { NodeAPI } from "./red";

/** What the capture step leaves on a webhook POST: its bytes, or why they could not be had. */
type CapturedBody = Buffer | "too large" | "too slow" | "failed";

type Request = IncomingMessage & {
  query: Record<string, unknown>;
  body?: unknown;
  _body?: boolean;
  skipRawBodyParser?: boolean;
  waWebhookBody?: Promise<CapturedBody>;
  originalUrl?: string;
};
type Response = ServerResponse & { status(code: number): Response; type(value: string): Response; send(body: string): void };
type Handler = (req: Request, res: Response) => void;
type Middleware = (req: Request, res: Response, next: () => void) => void;
interface RouterLayer {
  handle?: unknown;
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] };
}
interface ExpressApp {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  use(handler: Middleware): void;
  parent?: ExpressApp;
  mountpath?: string | string[];
  _router?: { stack: RouterLayer[] };
}

export const WEBHOOK_BODY_TIME_LIMIT_MS = 10_000;

/** The body time limit: `waWebhookBodyTimeoutMs` in settings.js, else 10 s. */
function bodyTimeLimit(RED: NodeAPI): number {
  const configured = Number((RED.settings as { waWebhookBodyTimeoutMs?: unknown }).waWebhookBodyTimeoutMs);
  return Number.isFinite(configured) && configured >= 100 ? configured : WEBHOOK_BODY_TIME_LIMIT_MS;
}

/**
 * Reads the body as bytes (the signature covers the exact bytes), up to a size and a time limit:
 * a client that trickles its body loses the socket instead of holding it.
 */
function readRawBody(req: Request, limit: number, timeLimitMs: number): Promise<CapturedBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: CapturedBody) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.removeListener("data", onData);
      resolve(result);
    };
    const timer = setTimeout(() => finish("too slow"), timeLimitMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish("too large");
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => finish(Buffer.concat(chunks)));
    req.on("error", () => finish("failed"));
    req.on("close", () => finish("failed"));
  });
}

/** Full request paths (httpNodeRoot included) of the webhooks mounted in this runtime, with their body time limits. */
const capturedPaths = new Map<string, number>();
const installedOn = new WeakSet<object>();

function rootAppOf(app: ExpressApp): ExpressApp {
  return app.parent ? rootAppOf(app.parent) : app;
}

function joinPaths(root: string, path: string): string {
  return `${root.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

function requestPath(req: Request): string {
  const url = req.originalUrl ?? req.url ?? "";
  const query = url.indexOf("?");
  return (query === -1 ? url : url.slice(0, query)).replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
}

/**
 * Takes the bytes of a webhook POST before any body parser sees them. With Node-RED's default
 * settings the editor's app (httpAdminRoot "/") sits in front of the flows' app and its JSON
 * parser would consume the body, so the capture goes first on the root app (as Node-RED's own
 * HTTP In node does for raw bodies). `_body` tells every body parser after it to leave the body alone.
 */
const captureWebhookBody: Middleware = (req, _res, next) => {
  const timeLimitMs = req.method === "POST" && !req._body ? capturedPaths.get(requestPath(req)) : undefined;
  if (timeLimitMs === undefined) {
    next();
    return;
  }
  req.waWebhookBody = readRawBody(req, CLOUD_LIMITS.maxWebhookBytes, timeLimitMs);
  req._body = true;
  req.skipRawBodyParser = true;
  next();
};

function installCapture(app: ExpressApp): void {
  const root = rootAppOf(app);
  if (installedOn.has(root) || typeof root.use !== "function") return;
  root.use(captureWebhookBody);
  const stack = root._router?.stack;
  if (stack) {
    const index = stack.findIndex((layer) => layer.handle === captureWebhookBody);
    if (index > 0) stack.unshift(...stack.splice(index, 1));
  }
  installedOn.add(root);
}

function nodeRoot(RED: NodeAPI, app: ExpressApp): string {
  const configured = (RED.settings as { httpNodeRoot?: unknown }).httpNodeRoot;
  if (typeof configured === "string") return configured;
  const mounted = Array.isArray(app.mountpath) ? app.mountpath[0] : app.mountpath;
  return typeof mounted === "string" ? mounted : "/";
}

/**
 * Puts the Cloud API webhook on Node-RED's HTTP server (httpNodeRoot): GET for Meta's
 * verification handshake, POST for deliveries. Returns a function that takes the routes off
 * again (on redeploy or when the config node is removed).
 */
export function mountWebhook(
  RED: NodeAPI,
  path: string,
  transport: CloudApiTransport,
  reportProblem: (problem: WaError) => void,
): () => void {
  const app = RED.httpNode as unknown as ExpressApp;
  const fullPath = joinPaths(nodeRoot(RED, app), path);
  if (capturedPaths.has(fullPath)) {
    throw invalidSetting(
      "webhookPath",
      "webhookPathTaken",
      `Webhook path ${path} is already used by another WhatsApp connection; give each its own`,
      { path },
    );
  }
  const timeLimitMs = bodyTimeLimit(RED);
  installCapture(app);
  const verify: Handler = (req, res) => {
    const answer = transport.handleVerification(req.query ?? {});
    res.status(answer.status).type("text/plain").send(answer.body);
  };
  const refuse = (res: Response, status: number, problem: WaError) => {
    reportProblem(problem);
    res.status(status).type("text/plain").send(problem.message);
  };
  const deliver: Handler = (req, res) => {
    // Mounted without a root app in front (an embedding app): the body is read here if nobody read it yet.
    const captured =
      req.waWebhookBody ??
      (req.readableEnded || (req.body !== undefined && !isEmptyObject(req.body))
        ? undefined
        : readRawBody(req, CLOUD_LIMITS.maxWebhookBytes, timeLimitMs));
    if (!captured) {
      refuse(
        res,
        500,
        new WaError(
          "cloud.badWebhook",
          "Webhook delivery refused: another HTTP middleware read the body before its signature could be checked",
          { reason: "body already parsed" },
        ),
      );
      return;
    }
    void captured
      .then(async (raw) => {
        if (raw === "too large") {
          refuse(
            res,
            413,
            new WaError("cloud.badWebhook", `Webhook delivery refused: the body is larger than ${CLOUD_LIMITS.maxWebhookBytes} bytes`, {
              reason: "too large",
            }),
          );
          return;
        }
        if (raw === "too slow") {
          refuse(
            res,
            408,
            new WaError("cloud.badWebhook", `Webhook delivery refused: the body took longer than ${timeLimitMs / 1000} s to arrive`, {
              reason: "too slow",
            }),
          );
          req.socket.destroy();
          return;
        }
        if (raw === "failed") {
          if (!res.headersSent && !req.socket.destroyed) res.status(400).type("text/plain").send("could not read the body");
          return;
        }
        const answer = await transport.handleDelivery(raw, req.headers["x-hub-signature-256"]);
        if (answer.problem) reportProblem(answer.problem);
        res.status(answer.status).type("text/plain").send(answer.body);
      })
      .catch((error: unknown) => {
        if (!res.headersSent) res.status(500).type("text/plain").send("could not handle the delivery");
        reportProblem(
          new WaError("cloud.badWebhook", `Webhook delivery refused: ${error instanceof Error ? error.message : String(error)}`, {
            reason: "internal error",
          }),
        );
      });
  };
  app.get(path, verify);
  app.post(path, deliver);
  capturedPaths.set(fullPath, timeLimitMs);
  return () => {
    capturedPaths.delete(fullPath);
    const stack = app._router?.stack;
    if (!stack) return;
    for (let i = stack.length - 1; i >= 0; i -= 1) {
      const route = stack[i].route;
      if (route && route.path === path && route.stack.some((layer) => layer.handle === verify || layer.handle === deliver))
        stack.splice(i, 1);
    }
  };
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Buffer.isBuffer(value) && Object.keys(value).length === 0;
}
