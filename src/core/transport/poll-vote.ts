import { createDecipheriv, createHmac } from "node:crypto";

/**
 * WhatsApp's poll votes travel encrypted with a key derived from the poll's message secret (Baileys 7 leaves
 * them to the application). The derivation is WhatsApp's: HMAC-SHA256 twice, then AES-256-GCM with the poll
 * and voter ids as additional data; the plain vote is a PollVoteMessage whose field 1 repeats the SHA-256
 * of each option picked.
 */
export interface PollVoteContext {
  pollMsgId: string;
  pollCreatorJid: string;
  voterJid: string;
  /** The poll message's messageContextInfo.messageSecret (32 bytes). */
  pollEncKey: Uint8Array;
}

const GCM_TAG_BYTES = 16;

export function pollVoteKey(context: PollVoteContext): Buffer {
  const sign = Buffer.concat([
    Buffer.from(context.pollMsgId),
    Buffer.from(context.pollCreatorJid),
    Buffer.from(context.voterJid),
    Buffer.from("Poll Vote"),
    Buffer.from([1]),
  ]);
  const key0 = createHmac("sha256", Buffer.alloc(32)).update(context.pollEncKey).digest();
  return createHmac("sha256", key0).update(sign).digest();
}

export function pollVoteAad(context: PollVoteContext): Buffer {
  return Buffer.from(`${context.pollMsgId}\u0000${context.voterJid}`);
}

/** The option hashes of an encrypted vote; throws when the key or the data is wrong (GCM's check). */
export function decryptPollVote(encPayload: Uint8Array, encIv: Uint8Array, context: PollVoteContext): Buffer[] {
  const payload = Buffer.from(encPayload);
  if (payload.length < GCM_TAG_BYTES) throw new Error("the vote is too short");
  const decipher = createDecipheriv("aes-256-gcm", pollVoteKey(context), Buffer.from(encIv));
  decipher.setAAD(pollVoteAad(context));
  decipher.setAuthTag(payload.subarray(payload.length - GCM_TAG_BYTES));
  const plain = Buffer.concat([decipher.update(payload.subarray(0, payload.length - GCM_TAG_BYTES)), decipher.final()]);
  return readRepeatedBytes(plain, 1);
}

function readVarint(data: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < data.length && shift < 35; i += 1) {
    value += (data[i] & 0x7f) * 2 ** shift;
    if ((data[i] & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  throw new Error("a broken protobuf varint");
}

/** The values of one repeated bytes field of a protobuf message (other fields skipped). */
export function readRepeatedBytes(data: Buffer, field: number): Buffer[] {
  const values: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const [tag, next] = readVarint(data, at);
    at = next;
    const wireType = tag & 7;
    if (wireType === 2) {
      const [length, start] = readVarint(data, at);
      if (start + length > data.length) throw new Error("a protobuf field longer than its message");
      if (tag >>> 3 === field) values.push(data.subarray(start, start + length));
      at = start + length;
    } else if (wireType === 0) at = readVarint(data, at)[1];
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else throw new Error(`protobuf wire type ${wireType} is not read here`);
  }
  return values;
}
