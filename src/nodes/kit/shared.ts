/**
 * Engines shared between nodes of one runtime (the acquire and release nodes of a lock, the
 * enqueue and ack nodes of a queue), created by the first user and closed with the last.
 */
interface Entry<T> {
  value: T;
  refs: Set<string>;
  dispose: (value: T) => void | Promise<void>;
}

export class SharedRegistry<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /** Returns the engine for `key`, creating it if needed, and records `holderId` as a user. */
  acquire(key: string, holderId: string, create: () => T, dispose: (value: T) => void | Promise<void>): T {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { value: create(), refs: new Set(), dispose };
      this.entries.set(key, entry);
    }
    entry.refs.add(holderId);
    return entry.value;
  }

  peek(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  all(): [string, T][] {
    return [...this.entries.entries()].map(([key, entry]) => [key, entry.value]);
  }

  /** Drops a user; the last one out disposes the engine. */
  async release(key: string, holderId: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.refs.delete(holderId);
    if (entry.refs.size > 0) return;
    this.entries.delete(key);
    await entry.dispose(entry.value);
  }
}
