import { Clock, TimerHandle } from "../clock";
import { Store } from "../store/store";
import { STAGE_IDS, StageId } from "./stages";

export interface StageSwitch {
  enabled: boolean;
  /** When it was set (ms since the epoch): of two records, the later one holds. */
  changedAt: number;
  /** Who set it: "editor", "admin api", "message from <node>"... */
  by: string;
}

export type SwitchListener = (stage: StageId, state: StageSwitch) => void;

/** The key of a stage's switch in a store (one key per stage, so two instances setting two stages never clash). */
export function stageSwitchKey(stage: StageId): string {
  return `pipeline:stage:${stage}`;
}

function parseSwitch(text: string | undefined): StageSwitch | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StageSwitch>;
    if (typeof value.enabled !== "boolean" || typeof value.changedAt !== "number" || !Number.isFinite(value.changedAt)) return undefined;
    return { enabled: value.enabled, changedAt: value.changedAt, by: typeof value.by === "string" ? value.by.slice(0, 100) : "" };
  } catch {
    return undefined;
  }
}

const ON: StageSwitch = { enabled: true, changedAt: 0, by: "" };

/**
 * The on/off state of the five stages. Each switch is written to every store the runtime uses (the
 * embedded store keeps it across a restart, Redis shares it with other instances) and read back from them
 * every `pollMs`, so instances on one store agree within that time. Of the records found, the latest holds.
 */
export class StageSwitches {
  private readonly state = new Map<StageId, StageSwitch>(STAGE_IDS.map((stage) => [stage, ON]));
  private readonly listeners = new Set<SwitchListener>();
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly stores: () => Store[],
    private readonly onStoreError: (error: unknown) => void = () => undefined,
    private readonly pollMs = 1000,
  ) {}

  isEnabled(stage: StageId): boolean {
    return this.state.get(stage)?.enabled ?? true;
  }

  all(): Record<StageId, StageSwitch> {
    return Object.fromEntries(STAGE_IDS.map((stage) => [stage, this.get(stage)])) as Record<StageId, StageSwitch>;
  }

  get(stage: StageId): StageSwitch {
    return this.state.get(stage) ?? ON;
  }

  /** Listens to changes (set here or found in a store); returns the function that stops listening. */
  subscribe(listener: SwitchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Turns a stage on or off here at once, and in every store. */
  async set(stage: StageId, enabled: boolean, by: string): Promise<StageSwitch> {
    const record: StageSwitch = { enabled, changedAt: Math.max(this.clock.now(), this.get(stage).changedAt + 1), by: by.slice(0, 100) };
    this.apply(stage, record);
    await Promise.all(this.stores().map((store) => store.set(stageSwitchKey(stage), JSON.stringify(record))));
    return record;
  }

  /** Reads every store once and takes the latest record of each stage. */
  async refresh(): Promise<void> {
    this.polling ??= this.readStores().finally(() => (this.polling = undefined));
    return this.polling;
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => void this.refresh(), this.pollMs);
    void this.refresh();
  }

  stop(): void {
    this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  private async readStores(): Promise<void> {
    for (const store of this.stores()) {
      for (const stage of STAGE_IDS) {
        try {
          const found = parseSwitch(await store.get(stageSwitchKey(stage)));
          if (found && found.changedAt > this.get(stage).changedAt) this.apply(stage, found);
        } catch (error) {
          this.onStoreError(error);
          break;
        }
      }
    }
  }

  private apply(stage: StageId, record: StageSwitch): void {
    const before = this.get(stage);
    this.state.set(stage, record);
    if (before.enabled !== record.enabled) for (const listener of this.listeners) listener(stage, record);
  }
}
