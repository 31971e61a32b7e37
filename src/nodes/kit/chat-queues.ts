import { BlockingAdmission, BlockingAdmissionOptions } from "../../core/session/blocking-admission";
import { QueueDeliveryInfo } from "../../core/envelope";
import { WaError } from "../../core/errors";
import { DispatchItem, KeyedDispatcher, KeyedDispatcherOptions } from "../../core/session/keyed-dispatcher";
import { StoreQueue, StoreQueueOptions, StoredDelivery } from "../../core/session/store-queue";
import { Store } from "../../core/store/store";
import { reviveMessage, serialiseMessage } from "./message-codec";
import { DoneFunction, NodeMessage } from "./red";
import { runtimeWorld } from "./world";

/** What a queue needs from the node that accepted a message. */
export interface QueueCallbacks {
  /** Sends the message on (first output), stamped with its delivery. */
  deliver(msg: NodeMessage, delivery: QueueDeliveryInfo): void;
  /** Reports a message the node no longer holds a `done` for (to the Catch node). */
  report(msg: NodeMessage, error: WaError): void;
  /** Settles a message that never got out (dropped, or the flow stopped) through the node's error path. */
  fail(done: DoneFunction, error: WaError): void;
  /** A background store failure (polling, redelivery). */
  storeFailed(error: unknown): void;
}

export type QueueOutcome = { accepted: true } | { accepted: false; error: WaError };

export interface QueueCounts {
  inFlight: number;
  waiting: number;
  refused: number;
}

/** One named queue, shared by the enqueue and ack nodes that name it. */
export interface ChatQueueRuntime {
  readonly durable: boolean;
  /** Takes a message. `done` settles the input: at delivery (memory) or once stored (durable). */
  enqueue(chatId: string, msg: NodeMessage, callbacks: QueueCallbacks, done: DoneFunction): Promise<QueueOutcome>;
  ack(chatId: string, deliveryId: string): Promise<boolean>;
  /** Deliveries recovered from the store, with no node of this runtime's life behind them, go here. */
  attach(nodeId: string, callbacks: QueueCallbacks): void;
  detach(nodeId: string): void;
  counts(): QueueCounts;
  close(): Promise<void>;
}

interface HeldMessage {
  msg: NodeMessage;
  callbacks: QueueCallbacks;
  done: DoneFunction;
}

/** In this Node-RED's memory: fastest, lost on restart. */
export class MemoryChatQueue implements ChatQueueRuntime {
  readonly durable = false;
  private readonly dispatcher: KeyedDispatcher<HeldMessage>;

  constructor(private readonly options: KeyedDispatcherOptions) {
    this.dispatcher = new KeyedDispatcher<HeldMessage>(runtimeWorld().clock, options, {
      deliver: (item) => {
        const { msg, callbacks, done } = item.payload;
        callbacks.deliver(msg, this.info(item));
        done();
      },
      ackTimedOut: (item) =>
        item.payload.callbacks.report(
          item.payload.msg,
          new WaError(
            "queue.ackTimeout",
            `Chat ${item.key}: no ack within ${options.ackTimeoutMs} ms; the next message of the chat was released`,
            {
              chatId: item.key,
              ackTimeoutMs: options.ackTimeoutMs,
            },
          ),
        ),
      dropped: (item, reason) => item.payload.callbacks.fail(item.payload.done, reason),
    });
  }

  async enqueue(chatId: string, msg: NodeMessage, callbacks: QueueCallbacks, done: DoneFunction): Promise<QueueOutcome> {
    const outcome = this.dispatcher.enqueue(chatId, { msg, callbacks, done });
    return outcome.accepted ? { accepted: true } : { accepted: false, error: outcome.error };
  }

  async ack(_chatId: string, deliveryId: string): Promise<boolean> {
    return this.dispatcher.ack(deliveryId);
  }

  attach(): void {}
  detach(): void {}

  counts(): QueueCounts {
    const stats = this.dispatcher.stats();
    return { inFlight: stats.inFlight, waiting: stats.waiting, refused: stats.rejected + stats.dropped };
  }

  async close(): Promise<void> {
    for (const item of this.dispatcher.close()) {
      if (item.deliveredAt !== undefined) continue;
      item.payload.callbacks.fail(
        item.payload.done,
        new WaError("queue.closed", `The queue stopped before this message of chat ${item.key} was processed`, { chatId: item.key }),
      );
    }
  }

  private info(item: DispatchItem<HeldMessage>): QueueDeliveryInfo {
    return {
      queueName: this.options.name,
      store: "memory",
      deliveryId: item.deliveryId,
      chatId: item.key,
      enqueuedAt: item.enqueuedAt,
      deliveredAt: item.deliveredAt ?? item.enqueuedAt,
      deliveryCount: item.deliveryCount,
    };
  }
}

/** In a wa-store: survives restarts (embedded file) and is shared by instances (Redis). */
export class StoredChatQueue implements ChatQueueRuntime {
  readonly durable = true;
  private readonly queue: StoreQueue;
  private readonly ready: Promise<void>;
  /** Messages accepted here in this run, delivered from memory rather than re-read. */
  private readonly local = new Map<string, { msg: NodeMessage; callbacks: QueueCallbacks }>();
  private readonly attached = new Map<string, QueueCallbacks>();
  private inFlight = 0;
  private refused = 0;

  constructor(
    store: Store,
    private readonly storeId: string,
    private readonly options: StoreQueueOptions,
  ) {
    this.queue = new StoreQueue(store, runtimeWorld().clock, options, {
      deliver: (delivery) => this.deliver(delivery),
      ackTimedOut: (delivery, givenUp) => this.timedOut(delivery, givenUp),
      dropped: (delivery, reason) => {
        const { msg, callbacks } = this.resolve(delivery.deliveryId, delivery.body);
        this.local.delete(delivery.deliveryId);
        callbacks?.report(msg, reason);
      },
      storeFailed: (error) => this.anyCallbacks()?.storeFailed(error),
    });
    this.ready = this.queue.start();
    this.ready.catch((error: unknown) => this.anyCallbacks()?.storeFailed(error));
  }

  async enqueue(chatId: string, msg: NodeMessage, callbacks: QueueCallbacks, done: DoneFunction): Promise<QueueOutcome> {
    await this.ready;
    const body = serialiseMessage(msg);
    const outcome = await this.queue.enqueue(chatId, body, (deliveryId) => this.local.set(deliveryId, { msg, callbacks }));
    if (!outcome.accepted) {
      this.refused += 1;
      return outcome;
    }
    done();
    return { accepted: true };
  }

  async ack(chatId: string, deliveryId: string): Promise<boolean> {
    const acked = await this.queue.ack(chatId, deliveryId);
    if (acked) {
      this.local.delete(deliveryId);
      this.inFlight = Math.max(0, this.inFlight - 1);
    }
    return acked;
  }

  attach(nodeId: string, callbacks: QueueCallbacks): void {
    this.attached.set(nodeId, callbacks);
  }

  detach(nodeId: string): void {
    this.attached.delete(nodeId);
  }

  counts(): QueueCounts {
    return { inFlight: this.inFlight, waiting: Math.max(0, this.local.size - this.inFlight), refused: this.refused };
  }

  async close(): Promise<void> {
    // Nothing to hand back: what was accepted is in the store and is delivered after the restart.
    this.queue.close();
    await this.ready.catch(() => undefined);
  }

  private anyCallbacks(): QueueCallbacks | undefined {
    return this.attached.values().next().value;
  }

  private resolve(deliveryId: string, body: string): { msg: NodeMessage; callbacks: QueueCallbacks | undefined } {
    const local = this.local.get(deliveryId);
    if (local) return local;
    return { msg: reviveMessage(body), callbacks: this.anyCallbacks() };
  }

  private deliver(delivery: StoredDelivery): void {
    const { msg, callbacks } = this.resolve(delivery.deliveryId, delivery.body);
    if (!callbacks) return; // No enqueue node of this queue is running; the lease runs out and it is delivered again.
    this.inFlight += 1;
    callbacks.deliver(msg, {
      queueName: this.options.name,
      store: this.storeId,
      deliveryId: delivery.deliveryId,
      chatId: delivery.chatId,
      enqueuedAt: delivery.enqueuedAt,
      deliveredAt: delivery.deliveredAt,
      deliveryCount: delivery.deliveryCount,
    });
  }

  private timedOut(delivery: StoredDelivery, givenUp: boolean): void {
    const { msg, callbacks } = this.resolve(delivery.deliveryId, delivery.body);
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (givenUp) this.local.delete(delivery.deliveryId);
    const error = givenUp
      ? new WaError("queue.givenUp", `Chat ${delivery.chatId}: delivered ${delivery.deliveryCount} times without an ack; given up`, {
          chatId: delivery.chatId,
          deliveries: delivery.deliveryCount,
        })
      : new WaError("queue.redelivering", `Chat ${delivery.chatId}: no ack within ${this.options.leaseMs} ms; it will be delivered again`, {
          chatId: delivery.chatId,
          ackTimeoutMs: this.options.leaseMs,
        });
    callbacks?.report(msg, error);
  }
}

/** The "block" policy around a queue: a message that finds it full waits for room, up to a limit. */
export class BlockingChatQueue implements ChatQueueRuntime {
  private readonly admission: BlockingAdmission<HeldMessage>;

  constructor(
    private readonly inner: ChatQueueRuntime,
    options: BlockingAdmissionOptions,
  ) {
    this.admission = new BlockingAdmission(runtimeWorld().clock, options, (chatId, held) =>
      inner.enqueue(chatId, held.msg, held.callbacks, held.done),
    );
  }

  get durable(): boolean {
    return this.inner.durable;
  }

  enqueue(chatId: string, msg: NodeMessage, callbacks: QueueCallbacks, done: DoneFunction): Promise<QueueOutcome> {
    return this.admission.admit(chatId, { msg, callbacks, done });
  }

  async ack(chatId: string, deliveryId: string): Promise<boolean> {
    const acked = await this.inner.ack(chatId, deliveryId);
    this.admission.roomMayHaveAppeared();
    return acked;
  }

  attach(nodeId: string, callbacks: QueueCallbacks): void {
    this.inner.attach(nodeId, callbacks);
  }

  detach(nodeId: string): void {
    this.inner.detach(nodeId);
  }

  counts(): QueueCounts {
    const counts = this.inner.counts();
    return { ...counts, waiting: counts.waiting + this.admission.blocked };
  }

  async close(): Promise<void> {
    this.admission.close(
      (chatId) => new WaError("queue.closed", `The queue stopped before this message of chat ${chatId} was processed`, { chatId }),
    );
    await this.inner.close();
  }
}
