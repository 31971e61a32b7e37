import type { IncomingMessage, ServerResponse } from "node:http";
import { CLOUD_LIMITS } from "../../core/cloud-api";
import { CloudApiTransport } from "../../core/cloud-transport";
import { WaError } from "../../core/errors";
import { NodeAPI } from "./red";

type Request = IncomingMessage & { query: Record<string, unknown>; body?: unknown };
type Response = ServerResponse & { status(code: number): Response; type(value: string): Response; send(body: string): void };
type Handler = (req: Request, res: Response) => void;
interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] };
}

/** Reads the body as bytes (the signature covers the exact bytes), up to a limit. */
function readRawBody(req: Request, limit: number): Promise<Buffer | "too large" | "already read"> {
  if (req.readableEnded || req.body !== undefined) return Promise.resolve("already read");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve("too large");
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Puts the Cloud API webhook on Node-RED's HTTP server (httpNodeRoot): GET for Meta's
 * verification handshake, POST for deliveries. Returns a function that takes the routes off
 * again (on redeploy or when the config node is removed).
 */
const mountedPaths = new Set<string>();

export function mountWebhook(RED: NodeAPI, path: string, transport: CloudApiTransport, reportProblem: (problem: WaError) => void): () => void {
  if (mountedPaths.has(path)) {
    throw new WaError("config.invalid", `Webhook path ${path} is already used by another WhatsApp connection; give each its own`, { field: "webhookPath" });
  }
  const app = RED.httpNode as unknown as { get(path: string, handler: Handler): void; post(path: string, handler: Handler): void; _router?: { stack: RouterLayer[] } };
  const verify: Handler = (req, res) => {
    const answer = transport.handleVerification(req.query ?? {});
    res.status(answer.status).type("text/plain").send(answer.body);
  };
  const deliver: Handler = (req, res) => {
    readRawBody(req, CLOUD_LIMITS.maxWebhookBytes).then(
      (raw) => {
        if (raw === "too large") {
          const problem = new WaError("cloud.badWebhook", `Webhook delivery refused: the body is larger than ${CLOUD_LIMITS.maxWebhookBytes} bytes`, { reason: "too large" });
          reportProblem(problem);
          res.status(413).type("text/plain").send(problem.message);
          return;
        }
        if (raw === "already read") {
          const problem = new WaError("cloud.badWebhook", "Webhook delivery refused: another HTTP middleware read the body before its signature could be checked", { reason: "body already parsed" });
          reportProblem(problem);
          res.status(500).type("text/plain").send(problem.message);
          return;
        }
        const answer = transport.handleDelivery(raw, req.headers["x-hub-signature-256"]);
        if (answer.problem) reportProblem(answer.problem);
        res.status(answer.status).type("text/plain").send(answer.body);
      },
      () => res.status(400).type("text/plain").send("could not read the body"),
    );
  };
  app.get(path, verify);
  app.post(path, deliver);
  mountedPaths.add(path);
  return () => {
    mountedPaths.delete(path);
    const stack = app._router?.stack;
    if (!stack) return;
    for (let i = stack.length - 1; i >= 0; i -= 1) {
      const route = stack[i].route;
      if (route && route.path === path && route.stack.some((layer) => layer.handle === verify || layer.handle === deliver)) stack.splice(i, 1);
    }
  };
}
