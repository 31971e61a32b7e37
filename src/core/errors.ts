/**
 * Errors the engines raise. `code` doubles as the i18n key (under `errors.` in the shared
 * locale catalogue), `params` fill its placeholders, and `message` is the English text used
 * when no translation is loaded.
 */
export type WaErrorCode =
  | "envelope.missing"
  | "envelope.invalid"
  | "envelope.missingChatId"
  | "envelope.invalidChatId"
  | "envelope.bodyTooLong"
  | "key.missing"
  | "key.invalid"
  | "lock.timeout"
  | "lock.expired"
  | "lock.notHeld"
  | "lock.grantMissing"
  | "lock.closed"
  | "queue.chatFull"
  | "queue.full"
  | "queue.droppedOldest"
  | "queue.ackTimeout"
  | "queue.unknownDelivery"
  | "queue.closed"
  | "queue.givenUp"
  | "queue.redelivering"
  | "queue.notSerialisable"
  | "queue.blockTimeout"
  | "transport.notReady"
  | "transport.invalidTarget"
  | "transport.emptyText"
  | "transport.textTooLong"
  | "transport.notText"
  | "transport.sendFailed"
  | "transport.probeFailed"
  | "transport.rateLimited"
  | "transport.unknownConnection"
  | "transport.badContent"
  | "transport.unsupportedKind"
  | "transport.outsideWindow"
  | "media.unavailable"
  | "media.tooLarge"
  | "media.notSendable"
  | "media.badSource"
  | "media.timeout"
  | "media.closed"
  | "media.busy"
  | "media.unreadable"
  | "media.missingLanguage"
  | "media.tooLong"
  | "media.engineFailed"
  | "media.encrypted"
  | "media.badName"
  | "media.notFound"
  | "simulator.badScript"
  | "pacer.closed"
  | "pacer.chatFull"
  | "pacer.full"
  | "pacer.sendFailed"
  | "pacer.retrying"
  | "pacer.firstContactLimit"
  | "sheets.closed"
  | "sheets.auth"
  | "sheets.rejected"
  | "sheets.gaveUp"
  | "cloud.auth"
  | "cloud.rateLimited"
  | "cloud.rejected"
  | "cloud.unreachable"
  | "cloud.badAnswer"
  | "cloud.badWebhook"
  | "store.closed"
  | "store.valueTooLarge"
  | "store.unavailable"
  | "store.disconnected"
  | "store.notReplicated"
  | "config.invalid"
  | "state.tooLarge"
  | "state.badValue"
  | "state.contended"
  | "deadLetter.full"
  | "deadLetter.notFound"
  | "deadLetter.badCommand"
  | "dedupe.failed"
  | "sheets.readFailed"
  | "sheets.notFound"
  | "node.stopped"
  | "input.unknown"
  | "pipeline.unknownStage"
  /** Anything that is not one of the pack's own errors (a library's, a bug): the original text as the reason. */
  | "internal.unexpected";

export type ErrorParams = Record<string, string | number>;

export class WaError extends Error {
  readonly code: WaErrorCode;
  readonly params: ErrorParams;
  /**
   * The catalogue key of the text, when one code has several texts (config.invalid names what is wrong with which
   * setting); `errors.<code>` otherwise.
   */
  readonly textKey: string;

  constructor(code: WaErrorCode, message: string, params: ErrorParams = {}, options?: { cause?: unknown; textKey?: string }) {
    super(message, options);
    this.name = "WaError";
    this.code = code;
    this.params = params;
    this.textKey = options?.textKey ?? `errors.${code}`;
  }
}

/** config.invalid for a setting a schema cannot check alone: `text` is the key below errors.config, `english` its English. */
export function invalidSetting(field: string, text: string, english: string, params: ErrorParams = {}): WaError {
  return new WaError("config.invalid", english, { field, ...params }, { textKey: `errors.config.${text}` });
}

export function isWaError(value: unknown): value is WaError {
  return value instanceof WaError;
}

/** Turns anything thrown into an Error without losing a WaError's code. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : JSON.stringify(value));
}
