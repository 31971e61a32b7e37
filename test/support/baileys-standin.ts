import type { AnyMessageContent, BaileysEventMap, MiscMessageGenerationOptions, WAMessage, WAPresence } from "@whiskeysockets/baileys";
import { createCipheriv, randomBytes } from "node:crypto";
import { BaileysSocketLike } from "../../src/core/transport/baileys-transport";
import { pollOptionHash } from "../../src/core/transport/outgoing-content";
import { PollVoteContext, pollVoteAad, pollVoteKey } from "../../src/core/transport/poll-vote";

/**
 * A vote as a phone sends it: a PollVoteMessage (field 1: the SHA-256 of each option picked) encrypted with
 * AES-256-GCM under the key WhatsApp derives from the poll's secret (the tag appended, as Baileys reads it).
 */
export function encryptedVote(options: string[], context: PollVoteContext): { encPayload: Buffer; encIv: Buffer } {
  const plain = Buffer.concat(
    options.map((option) => {
      const hash = Buffer.from(pollOptionHash(option), "hex");
      return Buffer.concat([Buffer.from([0x0a, hash.length]), hash]);
    }),
  );
  const encIv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", pollVoteKey(context), encIv);
  cipher.setAAD(pollVoteAad(context));
  const encPayload = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return { encPayload, encIv };
}

/** A Boom as Baileys closes a connection with it: the status code under output. */
export function boom(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { output: { statusCode } });
}

type Listener = (arg: never) => void;

/**
 * A stand-in for Baileys' socket, typed by the same contract the transport uses (taken from Baileys' .d.ts).
 * It behaves like the library's lifecycle (read in its Socket/socket.js): events go out on `ev`, a new login
 * emits connection.update with a qr until paired, a saved one opens at once; the connection closes with a Boom
 * whose output.statusCode says why (401 logged out, 440 replaced, 408 lost); messages arrive as messages.upsert
 * of type "notify"; ticks as messages.update with a numeric status; sendMessage resolves the sent WAMessage.
 */
export class BaileysStandin implements BaileysSocketLike {
  static created: BaileysStandin[] = [];
  readonly sent: { jid: string; content: AnyMessageContent; options?: MiscMessageGenerationOptions; id: string }[] = [];
  readonly presences: [WAPresence, string | undefined][] = [];
  readonly listeners = new Map<keyof BaileysEventMap, Listener[]>();
  ended = false;
  loggedOut = false;
  wedged = false;
  sendFailure: string | undefined;
  user: BaileysSocketLike["user"];
  private sequence = 0;

  readonly ev = {
    on: <E extends keyof BaileysEventMap>(event: E, listener: (arg: BaileysEventMap[E]) => void) => {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as Listener]);
    },
    removeAllListeners: (event: keyof BaileysEventMap) => {
      this.listeners.delete(event);
    },
  };

  constructor(private readonly behaviour: { savedLogin?: boolean } = {}) {
    BaileysStandin.created.push(this);
    // After the socket is handed back, as Baileys' own events come once its WebSocket has answered.
    setImmediate(() => {
      if (this.behaviour.savedLogin) this.open();
      else this.emit("connection.update", { connection: "connecting", qr: `2@standin-qr-${BaileysStandin.created.length}` });
    });
  }

  emit<E extends keyof BaileysEventMap>(event: E, arg: BaileysEventMap[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (value: BaileysEventMap[E]) => void)(arg);
  }

  /** The phone scanned the code (or the saved login was accepted). */
  open(): void {
    this.user = { id: "447700900000:3@s.whatsapp.net", name: "Shop" };
    this.emit("connection.update", { connection: "open" });
  }

  closeWith(error: Error): void {
    this.emit("connection.update", { connection: "close", lastDisconnect: { error, date: new Date(0) } });
  }

  deliver(message: WAMessage): void {
    this.emit("messages.upsert", { messages: [message], type: "notify" });
  }

  tick(id: string, jid: string, status: number): void {
    this.emit("messages.update", [{ key: { id, remoteJid: jid, fromMe: true }, update: { status } }]);
  }

  async sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined> {
    if (this.ended) throw boom("Connection Closed", 428);
    if (this.sendFailure) throw new Error(this.sendFailure);
    this.sequence += 1;
    const id = `3EB0STANDIN${this.sequence}`;
    this.sent.push({ jid, content, ...(options ? { options } : {}), id });
    return { key: { id, remoteJid: jid, fromMe: true } } as WAMessage;
  }

  /** What the last sendMessage sent, as the socket hands it back (the poll's secret included). */
  lastSent(): { jid: string; content: AnyMessageContent } | undefined {
    return this.sent[this.sent.length - 1];
  }

  /** A customer votes on a poll this socket sent: the vote arrives encrypted, as messages.upsert does it. */
  voteOn(pollId: string, voterJid: string, options: string[]): void {
    const sent = this.sent.find((entry) => entry.id === pollId);
    const poll = sent && "poll" in sent.content ? sent.content.poll : undefined;
    if (!poll?.messageSecret) throw new Error(`the stand-in sent no poll ${pollId} with a secret`);
    const creatorJid = (this.user?.id ?? "").replace(/:\d+@/, "@");
    const vote = encryptedVote(options, { pollMsgId: pollId, pollCreatorJid: creatorJid, voterJid, pollEncKey: poll.messageSecret });
    this.sequence += 1;
    this.deliver({
      key: { id: `VOTE${this.sequence}`, remoteJid: voterJid, fromMe: false },
      message: {
        pollUpdateMessage: {
          pollCreationMessageKey: { id: pollId, remoteJid: voterJid, fromMe: true },
          vote,
          senderTimestampMs: 1_700_000_000_000,
        },
      },
      messageTimestamp: 1_700_000_000,
    } as unknown as WAMessage);
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    if (!/^\d{6,15}$/.test(phoneNumber)) throw new Error("invalid phone number");
    return "ABCD1234";
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    this.closeWith(boom("Intentional Logout", 401));
  }

  async end(): Promise<void> {
    this.ended = true;
  }

  async sendPresenceUpdate(type: WAPresence, toJid?: string): Promise<void> {
    this.presences.push([type, toJid]);
  }

  async onWhatsApp(...numbers: string[]): Promise<{ jid: string; exists: boolean }[] | undefined> {
    // A wedged socket: WhatsApp's servers never answer the query.
    if (this.wedged) return new Promise(() => undefined);
    return numbers.map((number) => ({ jid: `${number}@s.whatsapp.net`, exists: true }));
  }
}
