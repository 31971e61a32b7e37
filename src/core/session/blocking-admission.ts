import { Clock, TimerHandle } from "../clock";
import { WaError } from "../errors";

export type Admission = { accepted: true } | { accepted: false; error: WaError };

export interface BlockingAdmissionOptions {
  /** How long a message may wait for room before it is refused. */
  maxWaitMs: number;
  /** How many messages may wait for room at once; beyond that they are refused at once. */
  maxBlocked: number;
  /** How often to look for room that appeared elsewhere (another instance's ack). */
  retryEveryMs: number;
}

interface Blocked<T> {
  key: string;
  item: T;
  since: number;
  settle(outcome: Admission): void;
  fail(error: unknown): void;
}

/**
 * The "block" overflow policy: a message that finds its queue full waits, in arrival order,
 * until room appears or its wait runs out. A chat's messages never overtake each other: while
 * one waits, later ones of the same chat wait behind it, even if room appeared in between.
 * Room is looked for after every release (`roomMayHaveAppeared`) and on a timer.
 */
export class BlockingAdmission<T> {
  private readonly waiting: Blocked<T>[] = [];
  private readonly firstAttempts = new Map<string, Promise<void>>();
  private timer?: TimerHandle;
  private draining = false;
  private drainAgain = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: BlockingAdmissionOptions,
    private readonly tryAdmit: (key: string, item: T) => Promise<Admission>,
  ) {}

  get blocked(): number {
    return this.waiting.length;
  }

  /** Resolves once the item is admitted, or with the refusal when its wait runs out or too many wait; rejects when admitting fails. */
  async admit(key: string, item: T): Promise<Admission> {
    // A chat's messages take their first attempt one after another, so a later one cannot slip
    // in while an earlier one is still finding out that the queue is full.
    const previous = this.firstAttempts.get(key);
    let firstAttemptDone!: () => void;
    const mine = new Promise<void>((resolve) => (firstAttemptDone = resolve));
    this.firstAttempts.set(key, mine);
    if (previous) await previous;
    try {
      return await this.attempt(key, item, firstAttemptDone);
    } finally {
      firstAttemptDone();
      if (this.firstAttempts.get(key) === mine) this.firstAttempts.delete(key);
    }
  }

  private async attempt(key: string, item: T, firstAttemptDone: () => void): Promise<Admission> {
    if (!this.waiting.some((entry) => entry.key === key)) {
      const outcome = await this.tryAdmit(key, item);
      if (outcome.accepted || !isFull(outcome.error)) return outcome;
      if (this.waiting.length >= this.options.maxBlocked) return outcome;
    } else if (this.waiting.length >= this.options.maxBlocked) {
      return {
        accepted: false,
        error: new WaError("queue.full", `${this.waiting.length} messages already wait for room in the queue`, {
          max: this.options.maxBlocked,
        }),
      };
    }
    const admitted = new Promise<Admission>((resolve, reject) => {
      this.waiting.push({ key, item, since: this.clock.now(), settle: resolve, fail: reject });
      this.ensureTimer();
    });
    firstAttemptDone();
    return admitted;
  }

  roomMayHaveAppeared(): void {
    void this.drain();
  }

  /** Refuses everything still waiting (the flow stops). */
  close(reasonFor: (key: string) => WaError): void {
    this.stopTimer();
    for (const entry of this.waiting.splice(0)) entry.settle({ accepted: false, error: reasonFor(entry.key) });
  }

  private async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        await this.drainOnce();
      } while (this.drainAgain);
    } finally {
      this.draining = false;
      if (this.waiting.length === 0) this.stopTimer();
    }
  }

  private async drainOnce(): Promise<void> {
    const now = this.clock.now();
    const stillBlockedChats = new Set<string>();
    for (const entry of [...this.waiting]) {
      if (stillBlockedChats.has(entry.key)) continue;
      if (now - entry.since >= this.options.maxWaitMs) {
        this.remove(entry);
        entry.settle({
          accepted: false,
          error: new WaError("queue.blockTimeout", `Chat ${entry.key}: the queue had no room within ${this.options.maxWaitMs} ms`, {
            chatId: entry.key,
            waitMs: this.options.maxWaitMs,
          }),
        });
        continue;
      }
      let outcome: Admission;
      try {
        outcome = await this.tryAdmit(entry.key, entry.item);
      } catch (error) {
        this.remove(entry);
        entry.fail(error);
        continue;
      }
      if (outcome.accepted || !isFull(outcome.error)) {
        this.remove(entry);
        entry.settle(outcome);
        continue;
      }
      // The whole queue is full: nobody behind can get in either.
      if (outcome.error.code === "queue.full") return;
      stillBlockedChats.add(entry.key);
    }
  }

  private remove(entry: Blocked<T>): void {
    const index = this.waiting.indexOf(entry);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  private ensureTimer(): void {
    if (this.timer === undefined) this.timer = this.clock.setInterval(() => void this.drain(), this.options.retryEveryMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }
}

function isFull(error: WaError): boolean {
  return error.code === "queue.full" || error.code === "queue.chatFull";
}
