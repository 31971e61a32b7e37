import { Clock } from "./clock";
import { CLOUD_LIMITS, CloudApiClient, CloudApiOptions, CloudStatus, HttpFunction, RecentIds, answerVerification, parseWebhook, signatureIsValid } from "./cloud-api";
import { SentReceipt } from "./envelope";
import { WaError } from "./errors";
import { Listeners, OutgoingMedia, OutgoingText, TransportEvents, TransportState, WaTransport } from "./transport";

export interface CloudTransportOptions extends CloudApiOptions {
  appSecret: string;
  verifyToken: string;
}

export interface WebhookAnswer {
  status: number;
  body: string;
  /** For the log: why a delivery was refused or partly skipped. */
  problem?: WaError;
}

/**
 * The Cloud API behind the transport interface: messages arrive through the webhook
 * (`handleVerification`, `handleDelivery`, wired to Node-RED's HTTP server by the config node)
 * and leave through the Graph API. Meta redelivers a webhook it thinks failed; a message id
 * already seen is acknowledged and not emitted again.
 */
export class CloudApiTransport extends TransportEvents implements WaTransport {
  readonly kind = "cloud-api";
  private readonly client: CloudApiClient;
  private readonly recent = new RecentIds(10_000);
  private readonly statusListeners = new Listeners<[CloudStatus]>();
  private current: TransportState = "ready";
  private duplicates = 0;

  constructor(
    private readonly options: CloudTransportOptions,
    private readonly clock: Clock,
    http: HttpFunction,
  ) {
    super();
    if (options.accessToken === "") throw new WaError("config.invalid", "The Cloud API needs an access token (credentials)", { field: "accessToken" });
    if (options.appSecret === "") throw new WaError("config.invalid", "The Cloud API webhook needs the app secret (credentials) to check signatures", { field: "appSecret" });
    this.client = new CloudApiClient(options, clock, http);
  }

  state(): TransportState {
    return this.current;
  }

  get duplicateDeliveries(): number {
    return this.duplicates;
  }

  /** Delivery and read receipts of sent messages. */
  onStatus(listener: (status: CloudStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  handleVerification(query: Record<string, unknown>): WebhookAnswer {
    return answerVerification(query, this.options.verifyToken);
  }

  handleDelivery(rawBody: Buffer, signatureHeader: unknown): WebhookAnswer {
    if (this.current === "stopped") return { status: 503, body: "stopped" };
    if (rawBody.length > CLOUD_LIMITS.maxWebhookBytes) return refuse(413, `the body is larger than ${CLOUD_LIMITS.maxWebhookBytes} bytes`);
    if (!signatureIsValid(rawBody, signatureHeader, this.options.appSecret)) return refuse(401, "missing or wrong X-Hub-Signature-256 (is the app secret right?)");
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString("utf8"));
    } catch {
      return refuse(400, "the body is not JSON");
    }
    const parsed = parseWebhook(body, this.clock.now());
    for (const message of parsed.messages) {
      if (!this.recent.firstTime(message.id)) {
        this.duplicates += 1;
        continue;
      }
      this.messageListeners.emit(message);
    }
    for (const status of parsed.statuses) {
      this.statusListeners.emit(status);
      const known = ["sent", "delivered", "read", "failed"] as const;
      const tick = known.find((k) => k === status.status);
      if (tick) {
        this.eventListeners.emit({ kind: "ack", messageId: status.messageId, chatId: status.chatId, status: tick, at: status.timestamp, ...(status.error ? { error: `${status.error.title} (code ${status.error.code})` } : {}) });
      }
    }
    // Meta retries anything but 200 for days: a partly unreadable delivery is still acknowledged.
    const problem = parsed.skipped.length > 0 ? new WaError("cloud.badWebhook", `Webhook delivery refused: ${parsed.skipped.slice(0, 3).join("; ")}`, { reason: parsed.skipped.slice(0, 3).join("; ") }) : undefined;
    return { status: 200, body: "EVENT_RECEIVED", ...(problem ? { problem } : {}) };
  }

  async sendText(message: OutgoingText): Promise<SentReceipt> {
    try {
      const receipt = await this.client.sendText(message);
      this.sentListeners.emit({ ...receipt, text: message.text });
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  async sendMedia(media: OutgoingMedia): Promise<SentReceipt> {
    try {
      const receipt = await this.client.sendMedia(media);
      this.sentListeners.emit({ ...receipt, text: media.caption ?? "", media: { mimetype: media.mimetype, sizeBytes: media.data.length, ...(media.filename ? { filename: media.filename } : {}) } });
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  react(chatId: string, messageId: string, emoji: string): Promise<void> {
    return this.client.react(chatId, messageId, emoji);
  }

  async downloadMedia(ref: string, maxBytes: number): Promise<{ mimetype: string; data: Buffer }> {
    if (!ref.startsWith("cloud-media:")) throw new WaError("media.unavailable", `The media of ${ref.slice(0, 80)} is not available any more`, { ref: ref.slice(0, 80) });
    return this.client.downloadMedia(ref.slice("cloud-media:".length), maxBytes);
  }

  async showTyping(_chatId: string, _durationMs: number, replyToId?: string): Promise<void> {
    // The Cloud API shows typing only as part of marking a received message read.
    if (replyToId) await this.client.markReadWithTyping(replyToId);
  }

  async close(): Promise<void> {
    this.current = "stopped";
    this.stateListeners.emit("stopped", undefined);
  }
}

function refuse(status: number, reason: string): WebhookAnswer {
  return { status, body: reason, problem: new WaError("cloud.badWebhook", `Webhook delivery refused: ${reason}`, { reason }) };
}
