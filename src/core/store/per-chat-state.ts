import { WaError } from "../errors";
import { Store } from "./store";

/**
 * A per-chat JSON state in a store, changed by pure steps: one step per chat at a time in this
 * runtime, and compare-and-set against other instances sharing the store.
 */
export class PerChatState<S> {
  private readonly perChat = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly keyOf: (chatId: string) => string,
    private readonly ttlMs: number,
  ) {}

  /** `previous` is undefined for a chat with no state yet (or one whose state expired). */
  update<R extends { state: S }>(chatId: string, step: (previous: S | undefined) => R): Promise<R> {
    const work = async (): Promise<R> => {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const raw = await this.store.get(this.keyOf(chatId));
        const result = step(raw === undefined ? undefined : (JSON.parse(raw) as S));
        if (await this.store.compareAndSet(this.keyOf(chatId), raw, JSON.stringify(result.state), { ttlMs: this.ttlMs })) return result;
      }
      throw new WaError("state.contended", `The conversation state of chat ${chatId} kept changing while it was being written; try again`, {
        chatId,
      });
    };
    const result = (this.perChat.get(chatId) ?? Promise.resolve()).then(work, work);
    const settled = result.catch(() => undefined);
    this.perChat.set(chatId, settled);
    void settled.then(() => {
      if (this.perChat.get(chatId) === settled) this.perChat.delete(chatId);
    });
    return result;
  }
}
