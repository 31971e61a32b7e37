import { randomBytes } from "node:crypto";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import { AddressInfo } from "node:net";

/**
 * A loopback stand-in for the WhatsApp Cloud API's send endpoint
 * (POST /{version}/{phone-number-id}/messages), answering as Graph does: its success shape,
 * its error JSON ({error: {message, type, code, error_subcode, fbtrace_id}}), 401 with
 * code 190 for a bad token, 400 with code 100 for bad parameters, and injectable faults
 * (429 with code 130429 and Retry-After, 5xx, a dropped connection).
 */
export interface StandinCall {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
}

/** The parts of a multipart/form-data body (enough of RFC 7578 for Graph's media upload). */
function multipartParts(raw: Buffer, contentType: string | undefined): Map<string, { data: Buffer; filename?: string; type?: string }> {
  const parts = new Map<string, { data: Buffer; filename?: string; type?: string }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? "");
  if (!boundary) return parts;
  const text = raw.toString("latin1");
  for (const section of text.split(`--${boundary[1] ?? boundary[2]}`)) {
    const headerEnd = section.indexOf("\r\n\r\n");
    if (headerEnd < 0) continue;
    const headers = section.slice(0, headerEnd);
    const name = /name="([^"]+)"/.exec(headers)?.[1];
    if (!name) continue;
    const body = section.slice(headerEnd + 4).replace(/\r\n$/, "");
    parts.set(name, {
      data: Buffer.from(body, "latin1"),
      filename: /filename="([^"]*)"/.exec(headers)?.[1],
      type: /Content-Type: ([^\r\n]+)/i.exec(headers)?.[1],
    });
  }
  return parts;
}

type Fault = { kind: "status"; status: number; code?: number; retryAfter?: number } | { kind: "drop" };

export class GraphApiStandin {
  readonly calls: StandinCall[] = [];
  private readonly faults: Fault[] = [];
  private readonly media = new Map<string, { mimetype: string; data: Buffer }>();
  /** Files uploaded through POST /{phone-number-id}/media, by the id handed back. */
  readonly uploads = new Map<string, { mimetype: string; data: Buffer; filename?: string }>();
  private server?: Server;
  url = "";
  /** Approved templates: name -> language -> number of body parameters ({{1}}...). */
  readonly templates = new Map<string, Map<string, number>>();
  /** When each customer (wa_id) last wrote; a free-form send to a known customer silent for 24 h is refused (131047). */
  private readonly lastCustomerMessage = new Map<string, number>();
  /** The stand-in's clock for the 24-hour window (tests move it). */
  now: () => number = () => Date.now();
  /** What GET /{phone-number-id} reports: the number's status and its app's webhook URL ("" for none). */
  numberStatus = "CONNECTED";
  webhookUrl = "https://shop.example/whatsapp/webhook";

  constructor(
    readonly accessToken: string,
    readonly phoneNumberId: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  /** The next `count` requests get this fault, in order. */
  failNext(count: number, fault: Fault): void {
    for (let i = 0; i < count; i += 1) this.faults.push(fault);
  }

  /** A media file a customer sent, to be fetched as Graph serves it (a described URL, then the bytes). */
  addMedia(id: string, mimetype: string, data: Buffer): void {
    this.media.set(id, { mimetype, data });
  }

  approveTemplate(name: string, language: string, bodyParameters: number): void {
    const languages = this.templates.get(name) ?? new Map<string, number>();
    languages.set(language, bodyParameters);
    this.templates.set(name, languages);
  }

  customerWrote(waId: string, at: number): void {
    this.lastCustomerMessage.set(waId, at);
  }

  sentTexts(): string[] {
    return this.calls
      .filter((c) => c.body && (c.body.text as { body?: string } | undefined)?.body !== undefined)
      .map((c) => (c.body!.text as { body: string }).body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    this.calls.push({ path: req.url ?? "", authorization: req.headers.authorization, body });
    const fault = this.faults.shift();
    if (fault?.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
      const message =
        fault.status === 429 || fault.code === 130429
          ? "(#130429) Rate limit hit"
          : "An unexpected error has occurred. Please retry your request later.";
      this.graphError(res, fault.status, fault.code ?? (fault.status === 429 ? 130429 : 2), message, headers);
      return;
    }
    if (req.method === "GET" && req.url?.startsWith(`/${req.url.split("/")[1]}/${this.phoneNumberId}?`)) {
      this.describeNumber(req, res);
      return;
    }
    if (req.method === "GET") {
      this.serveMedia(req, res);
      return;
    }
    const upload = /^\/(v\d+\.\d+)\/([^/]+)\/media$/.exec(req.url ?? "");
    if (upload && req.method === "POST") {
      if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
        this.graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token");
        return;
      }
      const parts = multipartParts(raw, req.headers["content-type"]);
      const file = parts.get("file");
      if (parts.get("messaging_product")?.data.toString() !== "whatsapp" || !file || file.data.length === 0) {
        this.graphError(res, 400, 100, "(#100) The parameter file is required.");
        return;
      }
      const id = `${1_000_000 + this.uploads.size}`;
      this.uploads.set(id, { mimetype: parts.get("type")?.data.toString() ?? file.type ?? "", data: file.data, filename: file.filename });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id }));
      return;
    }
    const match = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(req.url ?? "");
    if (req.method !== "POST" || !match) {
      this.graphError(res, 400, 100, "Unsupported request - method type: " + (req.method ?? "").toLowerCase());
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
      this.graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token", {}, "OAuthException");
      return;
    }
    if (match[2] !== this.phoneNumberId) {
      this.graphError(
        res,
        400,
        100,
        `Unsupported post request. Object with ID '${match[2]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      );
      return;
    }
    if (!body || body.messaging_product !== "whatsapp") {
      this.graphError(res, 400, 100, "The parameter messaging_product is required.");
      return;
    }
    if (body.status === "read") {
      if (typeof body.message_id !== "string" || !body.message_id.startsWith("wamid.")) {
        this.graphError(res, 400, 100, "(#100) Invalid parameter message_id");
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ success: true }));
      return;
    }
    const to = body.to;
    if (typeof to !== "string" || !/^\d{5,20}$/.test(to)) {
      this.graphError(res, 400, 131009, "(#131009) Parameter value is not valid");
      return;
    }
    const kind = String(body.type);
    if (["image", "audio", "video", "document", "sticker"].includes(kind)) {
      const mediaId = (body[kind] as { id?: unknown } | undefined)?.id;
      if (typeof mediaId !== "string" || !this.uploads.has(mediaId)) {
        this.graphError(res, 400, 131053, "(#131053) Media upload error: unknown media id");
        return;
      }
    } else if (kind === "reaction") {
      const messageId = (body.reaction as { message_id?: unknown } | undefined)?.message_id;
      if (typeof messageId !== "string" || !messageId.startsWith("wamid.")) {
        this.graphError(res, 400, 100, "(#100) Invalid parameter reaction.message_id");
        return;
      }
    }
    const text = (body.text as { body?: unknown } | undefined)?.body;
    if (body.type === "text" && (typeof text !== "string" || text.length === 0 || text.length > 4096)) {
      this.graphError(res, 400, 100, "(#100) Param text['body'] must be at most 4096 characters long.");
      return;
    }
    const problem = this.contentProblem(kind, body[kind]);
    if (problem) {
      this.graphError(res, 400, problem.code, problem.message);
      return;
    }
    const last = this.lastCustomerMessage.get(to);
    if (kind !== "template" && last !== undefined && this.now() - last > 24 * 3600_000) {
      this.graphError(
        res,
        400,
        131047,
        "(#131047) Re-engagement message: More than 24 hours have passed since the recipient last replied to the sender number.",
      );
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        messaging_product: "whatsapp",
        contacts: [{ input: to, wa_id: to }],
        messages: [{ id: `wamid.${randomBytes(18).toString("base64url")}` }],
      }),
    );
  }

  /** Graph's checks of the message kinds beyond text and files (its documented limits and error codes). */
  private contentProblem(kind: string, part: unknown): { code: number; message: string } | undefined {
    const bad = (message: string) => ({ code: 100, message: `(#100) ${message}` });
    const record = (value: unknown) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined);
    if (kind === "interactive") {
      const interactive = record(part);
      const bodyText = record(interactive?.body)?.text;
      if (typeof bodyText !== "string" || bodyText.length === 0 || bodyText.length > 1024)
        return bad("Param interactive['body']['text'] is required and must be at most 1024 characters long.");
      const action = record(interactive?.action);
      if (interactive?.type === "button") {
        const buttons = action?.buttons;
        if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3)
          return bad("Param interactive['action']['buttons'] must have between 1 and 3 elements.");
        for (const button of buttons) {
          const reply = record(record(button)?.reply);
          if (
            record(button)?.type !== "reply" ||
            typeof reply?.id !== "string" ||
            typeof reply.title !== "string" ||
            reply.title.length > 20
          )
            return bad("Param interactive['action']['buttons'][]['reply']['title'] must be at most 20 characters long.");
        }
        return undefined;
      }
      if (interactive?.type === "list") {
        if (typeof action?.button !== "string" || action.button.length > 20)
          return bad("Param interactive['action']['button'] is required.");
        const sections = action.sections;
        if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10)
          return bad("Param interactive['action']['sections'] must have between 1 and 10 elements.");
        const rows = sections.flatMap((section) => (Array.isArray(record(section)?.rows) ? (record(section)!.rows as unknown[]) : []));
        if (rows.length < 1 || rows.length > 10)
          return { code: 131009, message: "(#131009) Parameter value is not valid: Total row count exceed max allowed count: 10" };
        for (const row of rows) {
          const r = record(row);
          if (typeof r?.id !== "string" || typeof r.title !== "string" || r.title.length > 24)
            return bad("Param interactive['action']['sections'][]['rows'][]['title'] must be at most 24 characters long.");
        }
        return undefined;
      }
      return bad("Param interactive['type'] must be one of {BUTTON, LIST, PRODUCT, PRODUCT_LIST, CTA_URL, FLOW}.");
    }
    if (kind === "template") {
      const template = record(part);
      const languages = typeof template?.name === "string" ? this.templates.get(template.name) : undefined;
      const language = record(template?.language)?.code;
      const expected = typeof language === "string" ? languages?.get(language) : undefined;
      if (expected === undefined) return { code: 132001, message: "(#132001) Template name does not exist in the translation" };
      const components = Array.isArray(template?.components) ? template.components : [];
      const bodyParameters = components
        .map(record)
        .filter((c) => c?.type === "body")
        .flatMap((c) => (Array.isArray(c!.parameters) ? c!.parameters : []));
      if (bodyParameters.length !== expected)
        return { code: 132000, message: "(#132000) Number of parameters does not match the expected number of params" };
      return undefined;
    }
    if (kind === "location") {
      const location = record(part);
      if (typeof location?.latitude !== "number" || typeof location.longitude !== "number")
        return bad("Param location['latitude'] and location['longitude'] are required.");
      return undefined;
    }
    if (kind === "contacts") {
      if (!Array.isArray(part) || part.length === 0) return bad("Param contacts must be a non-empty array.");
      for (const contact of part) {
        const name = record(record(contact)?.name);
        if (typeof name?.formatted_name !== "string" || (typeof name.first_name !== "string" && typeof name.last_name !== "string"))
          return bad("Param contacts[]['name']['formatted_name'] and one of first_name, last_name are required.");
      }
      return undefined;
    }
    return undefined;
  }

  private describeNumber(req: IncomingMessage, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
      this.graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token");
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        status: this.numberStatus,
        webhook_configuration: this.webhookUrl ? { application: this.webhookUrl } : {},
        id: this.phoneNumberId,
      }),
    );
  }

  private serveMedia(req: IncomingMessage, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
      this.graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token");
      return;
    }
    const described = /^\/v\d+\.\d+\/([A-Za-z0-9_-]+)$/.exec(req.url ?? "");
    const download = /^\/media-download\/([A-Za-z0-9_-]+)$/.exec(req.url ?? "");
    const id = described?.[1] ?? download?.[1];
    const media = id ? this.media.get(id) : undefined;
    if (!media) {
      this.graphError(res, 404, 100, `Unsupported get request. Object with ID '${id ?? ""}' does not exist`);
      return;
    }
    if (described) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          messaging_product: "whatsapp",
          url: `${this.url}/media-download/${id}`,
          mime_type: media.mimetype,
          sha256: "x",
          file_size: media.data.length,
          id,
        }),
      );
      return;
    }
    res.writeHead(200, { "Content-Type": media.mimetype, "Content-Length": String(media.data.length) });
    res.end(media.data);
  }

  private graphError(
    res: ServerResponse,
    status: number,
    code: number,
    message: string,
    headers: Record<string, string> = {},
    type = "OAuthException",
  ): void {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify({ error: { message, type, code, error_subcode: undefined, fbtrace_id: randomBytes(8).toString("base64url") } }));
  }
}
