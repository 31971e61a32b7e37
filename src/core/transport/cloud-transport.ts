import { Clock } from "../clock";
import {
  CLOUD_LIMITS,
  CloudApiClient,
  CloudApiOptions,
  CloudStatus,
  HttpFunction,
  RecentIds,
  answerVerification,
  parseWebhook,
  signatureIsValid,
} from "./cloud-api";
import { SentReceipt } from "../envelope";
import { WaError, invalidSetting } from "../errors";
import { Store } from "../store/store";
import { contentSummary, OutgoingContent, OutgoingContentKind } from "./outgoing-content";
import { checkServiceWindow, memoryServiceWindow, ServiceWindowMemory } from "./service-window";
import { Listeners, OutgoingMedia, OutgoingText, sentMediaRecord, TransportEvents, TransportState, WaTransport } from "./transport";

export interface CloudTransportOptions extends CloudApiOptions {
  appSecret: string;
  verifyToken: string;
  /** Messages sent longer ago than this are acknowledged but not passed on (0: any age). */
  maxDeliveryAgeMs?: number;
}

/** Remembers which message ids were already passed on, so a redelivery or a replay is not. */
export interface DeliveryMemory {
  /** True the first time an id is offered (within the memory's span). */
  firstTime(id: string): Promise<boolean>;
}

/** Seen ids kept in memory only (the last `capacity`): lost on restart. */
export function memoryDeliveryMemory(capacity = 10_000): DeliveryMemory {
  const recent = new RecentIds(capacity);
  return { firstTime: (id) => Promise.resolve(recent.firstTime(id)) };
}

/** Seen ids kept in a store (embedded or Redis) for `ttlMs`: they survive restarts and are shared by instances. */
export function storeDeliveryMemory(store: Store, prefix: string, ttlMs: number): DeliveryMemory {
  return { firstTime: (id) => store.setIfAbsent(`${prefix}${id}`, "1", { ttlMs }) };
}

export const DEFAULT_MAX_DELIVERY_AGE_MS = 24 * 3600_000;

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
  private readonly statusListeners = new Listeners<[CloudStatus]>();
  private current: TransportState = "ready";
  private duplicates = 0;
  private stale = 0;
  readonly supportedKinds: readonly OutgoingContentKind[] = ["buttons", "list", "template", "location", "contacts"];

  constructor(
    private readonly options: CloudTransportOptions,
    private readonly clock: Clock,
    http: HttpFunction,
    private readonly seen: DeliveryMemory = memoryDeliveryMemory(),
    private readonly window: ServiceWindowMemory = memoryServiceWindow(),
  ) {
    super();
    if (options.accessToken === "")
      throw invalidSetting("accessToken", "noAccessToken", "The Cloud API needs an access token (credentials)");
    if (options.appSecret === "")
      throw invalidSetting("appSecret", "noAppSecret", "The Cloud API webhook needs the app secret (credentials) to check signatures");
    this.client = new CloudApiClient(options, clock, http);
  }

  state(): TransportState {
    return this.current;
  }

  get duplicateDeliveries(): number {
    return this.duplicates;
  }

  /** Messages acknowledged but not passed on because they were sent longer ago than the age limit. */
  get staleDeliveries(): number {
    return this.stale;
  }

  /** Delivery and read receipts of sent messages. */
  onStatus(listener: (status: CloudStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  handleVerification(query: Record<string, unknown>): WebhookAnswer {
    return answerVerification(query, this.options.verifyToken);
  }

  async handleDelivery(rawBody: Buffer, signatureHeader: unknown): Promise<WebhookAnswer> {
    if (this.current === "stopped") return { status: 503, body: "stopped" };
    if (rawBody.length > CLOUD_LIMITS.maxWebhookBytes) return refuse(413, `the body is larger than ${CLOUD_LIMITS.maxWebhookBytes} bytes`);
    if (!signatureIsValid(rawBody, signatureHeader, this.options.appSecret))
      return refuse(401, "missing or wrong X-Hub-Signature-256 (is the app secret right?)");
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString("utf8"));
    } catch {
      return refuse(400, "the body is not JSON");
    }
    const now = this.clock.now();
    const parsed = parseWebhook(body, now);
    const maxAge = this.options.maxDeliveryAgeMs ?? DEFAULT_MAX_DELIVERY_AGE_MS;
    const skipped = [...parsed.skipped];
    for (const message of parsed.messages) {
      if (maxAge > 0 && now - message.timestamp > maxAge) {
        this.stale += 1;
        skipped.push(
          `message ${message.id.slice(0, 60)} was sent ${Math.round((now - message.timestamp) / 3600_000)} h ago, longer ago than the age limit`,
        );
        continue;
      }
      let first: boolean;
      try {
        first = await this.seen.firstTime(message.id);
      } catch (error) {
        // Meta delivers again what is not acknowledged: a later try finds the store back and loses nothing.
        const reason = error instanceof Error ? error.message.slice(0, 200) : String(error);
        return {
          status: 503,
          body: "try again later",
          problem: new WaError("store.unavailable", `The store is not available (seen deliveries): ${reason}`, {
            backend: "seen deliveries",
            reason,
          }),
        };
      }
      if (!first) {
        this.duplicates += 1;
        continue;
      }
      // A window that cannot be noted leaves the decision to Meta; the message itself is not lost over it.
      await this.window.noteInbound(message.chatId, message.timestamp).catch(() => undefined);
      this.messageListeners.emit(message);
    }
    for (const status of parsed.statuses) {
      this.statusListeners.emit(status);
      const known = ["sent", "delivered", "read", "failed"] as const;
      const tick = known.find((k) => k === status.status);
      if (tick) {
        this.eventListeners.emit({
          kind: "ack",
          messageId: status.messageId,
          chatId: status.chatId,
          status: tick,
          at: status.timestamp,
          ...(status.error ? { error: `${status.error.title} (code ${status.error.code})` } : {}),
        });
      }
    }
    // Meta retries anything but 200 for days: a partly unreadable delivery is still acknowledged.
    const problem =
      skipped.length > 0
        ? new WaError("cloud.badWebhook", `Webhook delivery refused: ${skipped.slice(0, 3).join("; ")}`, {
            reason: skipped.slice(0, 3).join("; "),
          })
        : undefined;
    return { status: 200, body: "EVENT_RECEIVED", ...(problem ? { problem } : {}) };
  }

  /** Free-form messages only within 24 hours of the chat's last message, as far as this connection knows. */
  private async checkWindow(chatId: string): Promise<void> {
    const last = await this.window.lastInbound(chatId).catch(() => undefined);
    checkServiceWindow(chatId, last, this.clock.now());
  }

  async sendText(message: OutgoingText): Promise<SentReceipt> {
    try {
      await this.checkWindow(message.chatId);
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
      await this.checkWindow(media.chatId);
      const receipt = await this.client.sendMedia(media);
      this.sentListeners.emit(sentMediaRecord(receipt, media));
      return receipt;
    } catch (error) {
      this.sendFailedListeners.emit(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  async sendContent(chatId: string, content: OutgoingContent, quotedId?: string): Promise<SentReceipt> {
    try {
      if (content.kind !== "template") await this.checkWindow(chatId);
      const receipt = await this.client.sendContent(chatId, content, quotedId);
      this.sentListeners.emit({ ...receipt, text: contentSummary(content), content });
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
    if (!ref.startsWith("cloud-media:"))
      throw new WaError("media.unavailable", `The media of ${ref.slice(0, 80)} is not available any more`, { ref: ref.slice(0, 80) });
    return this.client.downloadMedia(ref.slice("cloud-media:".length), maxBytes);
  }

  /** Graph is asked about the number (a connection that only receives by webhook has no socket to ask). */
  probe(timeoutMs: number): Promise<void> {
    if (this.current !== "ready")
      return Promise.reject(new WaError("transport.probeFailed", `The Cloud API connection is ${this.current}`, { reason: this.current }));
    return this.client.probe(timeoutMs);
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
