import { NodeMessage } from "./red";

export interface IncomingMedia {
  data: Buffer;
  mimetype?: string;
  filename?: string;
}

/** The media a message carries: what wa in downloaded (msg.wa.message.media), or a Buffer in msg.payload. */
export function mediaOf(msg: NodeMessage): IncomingMedia | undefined {
  const media = (msg as { wa?: { message?: { media?: { data?: unknown; mimetype?: unknown; filename?: unknown } } } }).wa?.message?.media;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  if (media && Buffer.isBuffer(media.data)) return { data: media.data, mimetype: text(media.mimetype), filename: text(media.filename) };
  const payload = (msg as { payload?: unknown }).payload;
  return Buffer.isBuffer(payload)
    ? { data: payload, mimetype: text((msg as { mimetype?: unknown }).mimetype), filename: text((msg as { filename?: unknown }).filename) }
    : undefined;
}

/** Puts a media stage's result in msg.wa.media.<key> for pipeline messages, else in msg.<key>. */
export function attachMediaResult(msg: NodeMessage, key: string, result: unknown): void {
  const wa = (msg as { wa?: { media?: Record<string, unknown> } }).wa;
  if (wa && typeof wa === "object") wa.media = { ...(wa.media ?? {}), [key]: result };
  else (msg as Record<string, unknown>)[key] = result;
}
