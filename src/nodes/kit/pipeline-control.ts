import { hostname } from "node:os";
import { Clock, TimerHandle } from "../../core/clock";
import { envelopeOf, writeEnvelopePart } from "../../core/envelope";
import {
  CompletionMeter,
  MeteredNode,
  NodeGauges,
  NodeMeter,
  PipelineFigures,
  PipelineSnapshot,
  pipelinePrometheusText,
} from "../../core/pipeline/pipeline-metrics";
import { StageSwitch, StageSwitches } from "../../core/pipeline/stage-switches";
import { PIPELINE_STAGES, StageId, parseStage, runsWhileStageOff, stageOfNodeType } from "../../core/pipeline/stages";
import { Store } from "../../core/store/store";
import { ReadinessReport, checkReadiness } from "../../core/pipeline/readiness";
import { StatusReporter, describeError, translate } from "./node-kit";
import { AdminApp, AdminRequest, AdminResponse, Node, NodeAPI, NodeMessage, adminRoutes } from "./red";
import { runtimeWorld } from "./world";

/** The editor topic the state goes out on, and how often (the sidebar's figures move with it). */
export const PIPELINE_COMMS_TOPIC = "wa-pipeline/state";
const PUBLISH_EVERY_MS = 1_000;
/** A message with this topic sets a stage's switch (wa-degrade acts on it); it is never passed by a switched-off node. */
export const STAGE_SWITCH_TOPIC = "wa-stage";

/** The runtime's clock as it is now (tests swap in a fake one before a deploy). */
const worldClock: Clock = {
  now: () => runtimeWorld().clock.now(),
  setTimeout: (callback, delayMs) => runtimeWorld().clock.setTimeout(callback, delayMs),
  clearTimeout: (handle) => runtimeWorld().clock.clearTimeout(handle),
  setInterval: (callback, periodMs) => runtimeWorld().clock.setInterval(callback, periodMs),
  clearInterval: (handle) => runtimeWorld().clock.clearInterval(handle),
};

interface Member extends MeteredNode {
  status: StatusReporter;
  stopListening: () => void;
  /** Called when a drain starts: the node hurries what it holds (a Sheets batch written now). */
  onDrain?: () => void;
}

/** A readiness probe's own timeout is usually 1 s: a store slower than this counts as unreachable. */
const READINESS_STORE_TIMEOUT_MS = 800;

/** Default wait for messages in flight when flows stop; Node-RED gives a node's close 15 s unless nodeCloseTimeout says more. */
export const DEFAULT_DRAIN_SECONDS = 10;

/** The drain of one stop (or redeploy): the closing pipeline nodes and the promise they all wait on. */
interface Drain {
  closing: Set<string>;
  done: Promise<void>;
}

/** How long this runtime drains: the test world's value, else settings.js `waPipeline.drainSeconds`, kept a second inside Node-RED's close timeout. */
export function drainMsOf(RED: NodeAPI): number {
  const fromWorld = runtimeWorld().drainMs;
  if (fromWorld !== undefined) return fromWorld;
  const settings = RED.settings as { waPipeline?: { drainSeconds?: unknown }; nodeCloseTimeout?: unknown };
  const asked = Number(settings.waPipeline?.drainSeconds ?? DEFAULT_DRAIN_SECONDS);
  const closeTimeout = Number(settings.nodeCloseTimeout) > 0 ? Number(settings.nodeCloseTimeout) : 15_000;
  return Math.max(0, Math.min(Number.isFinite(asked) ? asked * 1000 : DEFAULT_DRAIN_SECONDS * 1000, closeTimeout - 1000));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A stage's number and title for texts ("stage 2 (Conversation intelligence)"). */
function stageInfo(stage: StageId): { number: number; title: string } {
  const found = PIPELINE_STAGES.find((entry) => entry.id === stage)!;
  return { number: found.number, title: found.title };
}

/**
 * What the pipeline's nodes of one Node-RED share without wires: the stage switches, every node's
 * meter, the message completions, and the stores the switches are kept in. It publishes the pipeline's
 * state to the editor every second while any pipeline node runs.
 */
class PipelineControl {
  private readonly members = new Map<string, Member>();
  private readonly stores = new Map<string, Store>();
  private readonly brokenStores = new Map<string, string>();
  private readonly connections = new Map<string, () => { kind: string; state: string }>();
  readonly completions = new CompletionMeter();
  readonly switches: StageSwitches;
  private readonly figures = new PipelineFigures(worldClock, `${hostname()}:${process.pid}`);
  private publishTimer: TimerHandle | undefined;
  private red: NodeAPI | undefined;
  private lastStoreWarning = "";
  private currentDrain: Drain | undefined;

  constructor() {
    this.switches = new StageSwitches(
      worldClock,
      () => [...this.stores.values()],
      (error) => this.warnOnce(error),
    );
  }

  join(RED: NodeAPI, node: Node, status: StatusReporter, mode: unknown, gauges?: () => NodeGauges): Member {
    this.red = RED;
    const stage = stageOfNodeType(node.type);
    const member: Member = {
      id: node.id,
      type: node.type,
      name: node.name ?? "",
      flow: (node as Node & { z?: string }).z ?? "",
      stage,
      runsWhileOff: stage === undefined || runsWhileStageOff(node.type, mode),
      meter: new NodeMeter(),
      gauges,
      status,
      stopListening: () => undefined,
    };
    if (!member.runsWhileOff && stage !== undefined) {
      const showSwitch = (enabled: boolean) => {
        if (enabled) status.release();
        else status.hold({ fill: "grey", shape: "ring", text: this.offText(stage) });
      };
      member.stopListening = this.switches.subscribe((changed, state) => {
        if (changed === stage) showSwitch(state.enabled);
      });
      if (!this.switches.isEnabled(stage)) showSwitch(false);
    }
    this.members.set(node.id, member);
    if (this.members.size === 1) this.start();
    return member;
  }

  /**
   * Waits, when flows stop, until the closing pipeline nodes hold no message in flight, or the drain time
   * is up. Every closing node waits on the same drain; it is timed by the real clock, as Node-RED's close
   * timeout is. What is still in flight at the end stays where it is kept (a durable queue redelivers it).
   */
  drain(RED: NodeAPI, nodeId: string): Promise<void> {
    if (!this.members.has(nodeId)) return this.afterDrain();
    if (this.currentDrain) {
      this.currentDrain.closing.add(nodeId);
      return this.currentDrain.done;
    }
    const closing = new Set([nodeId]);
    const drain: Drain = { closing, done: Promise.resolve() };
    drain.done = this.runDrain(RED, closing).finally(() => {
      if (this.currentDrain === drain) this.currentDrain = undefined;
    });
    this.currentDrain = drain;
    return drain.done;
  }

  private async runDrain(RED: NodeAPI, closing: Set<string>): Promise<void> {
    const limitMs = drainMsOf(RED);
    // The other nodes of this stop are told to close in the same turn: let them join first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const closingMembers = () => [...closing].map((id) => this.members.get(id)).filter((member): member is Member => member !== undefined);
    const inFlight = () => closingMembers().reduce((sum, member) => sum + member.meter.inFlight, 0);
    const atStart = inFlight();
    if (atStart === 0 || limitMs === 0) return;
    for (const member of closingMembers()) member.onDrain?.();
    const showDraining = (member: Member, finished: boolean) => {
      const count = member.meter.inFlight;
      member.status.hold(
        finished
          ? { fill: "red", shape: "ring", text: translate(RED, "pipeline.stoppedInFlight", `stopped with ${count} in flight`, { count }) }
          : { fill: "yellow", shape: "ring", text: translate(RED, "pipeline.draining", `draining: ${count} in flight`, { count }) },
      );
    };
    for (const member of closingMembers()) if (member.meter.inFlight > 0) showDraining(member, false);
    const started = Date.now();
    RED.log.info(
      `[wa-pipeline] draining: ${atStart} messages in flight in ${closing.size} pipeline nodes; waiting up to ${Math.round(limitMs / 100) / 10} s`,
    );
    let quietChecks = 0;
    while (Date.now() - started < limitMs && quietChecks < 2) {
      await sleep(20);
      quietChecks = inFlight() === 0 ? quietChecks + 1 : 0;
    }
    const left = inFlight();
    for (const member of closingMembers()) if (member.meter.inFlight > 0) showDraining(member, true);
    const where = closingMembers()
      .filter((member) => member.meter.inFlight > 0)
      .map((member) => `${member.name || member.type} ${member.meter.inFlight}`)
      .join(", ");
    const text = `[wa-pipeline] drained in ${Date.now() - started} ms: ${Math.max(0, atStart - left)} of ${atStart} messages finished${
      left > 0 ? `; ${left} still in flight (${where}) are left to the durable queue's redelivery or the dead letters` : ""
    }`;
    if (left > 0) RED.log.warn(text);
    else RED.log.info(text);
  }

  /**
   * For the nodes the pipeline needs while it drains (the connection that sends, the store, the Sheets
   * connection): resolves when the drain of this stop, if there is one, is over.
   */
  async afterDrain(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.currentDrain?.done;
  }

  /** Registers what a node does when a drain starts. */
  onDrain(nodeId: string, hurry: () => void): void {
    const member = this.members.get(nodeId);
    if (member) member.onDrain = hurry;
  }

  leave(nodeId: string): void {
    const member = this.members.get(nodeId);
    if (!member) return;
    member.stopListening();
    this.members.delete(nodeId);
    if (this.members.size === 0) this.stop();
  }

  member(nodeId: string): Member | undefined {
    return this.members.get(nodeId);
  }

  addStore(id: string, store: Store): void {
    this.stores.set(id, store);
    void this.switches.refresh();
  }

  removeStore(id: string): void {
    this.stores.delete(id);
    this.brokenStores.delete(id);
  }

  /** A store config node that could not open its store: the pipeline nodes using it cannot work. */
  addBrokenStore(id: string, kind: string): void {
    this.brokenStores.set(id, kind);
  }

  /** A WhatsApp connection, for readiness: its kind and its transport's state as it is when asked. */
  addConnection(id: string, describe: () => { kind: string; state: string }): void {
    this.connections.set(id, describe);
  }

  removeConnection(id: string): void {
    this.connections.delete(id);
  }

  /** Flows are stopping and the pipeline waits for what is in flight: send no new traffic here. */
  get draining(): boolean {
    return this.currentDrain !== undefined;
  }

  readiness(): Promise<ReadinessReport> {
    return checkReadiness(
      {
        draining: this.draining,
        stores: [...this.stores.values()].map((store) => ({ kind: store.kind, store })),
        brokenStores: [...this.brokenStores.values()],
        connections: [...this.connections.values()].map((describe) => describe()),
        storeTimeoutMs: READINESS_STORE_TIMEOUT_MS,
      },
      worldClock,
    );
  }

  async setStage(stage: StageId, enabled: boolean, by: string): Promise<StageSwitch> {
    const record = await this.switches.set(stage, enabled, by);
    const { number, title } = stageInfo(stage);
    this.red?.log.info(`[wa-pipeline] stage ${number} (${title}) switched ${enabled ? "on" : "off"} by ${record.by}`);
    this.publish();
    return record;
  }

  snapshot(): PipelineSnapshot {
    return this.figures.snapshot([...this.members.values()], this.switches.all(), this.completions);
  }

  private offText(stage: StageId): string {
    const { number } = stageInfo(stage);
    return this.red
      ? translate(this.red, "pipeline.stageOff", `stage ${number} off: passing messages through`, { number })
      : `stage ${number} off: passing messages through`;
  }

  private start(): void {
    this.switches.start();
    this.publishTimer = worldClock.setInterval(() => this.publish(), PUBLISH_EVERY_MS);
  }

  private stop(): void {
    this.switches.stop();
    worldClock.clearInterval(this.publishTimer);
    this.publishTimer = undefined;
  }

  private publish(): void {
    const comms = (this.red as { comms?: { publish?: (topic: string, data: unknown, retain: boolean) => void } } | undefined)?.comms;
    if (typeof comms?.publish !== "function") return;
    comms.publish(PIPELINE_COMMS_TOPIC, this.snapshot(), true);
  }

  private warnOnce(error: unknown): void {
    const text = this.red ? describeError(this.red, error) : String(error);
    if (text === this.lastStoreWarning) return;
    this.lastStoreWarning = text;
    this.red?.log.warn(`[wa-pipeline] stage switches could not be read from a store: ${text}`);
  }
}

export const pipelineControl = new PipelineControl();

/** What a node passed by (its stage off) adds to the envelope: which stage, which node. */
export interface SkippedStep {
  stage: StageId;
  nodeId: string;
  nodeType: string;
}

export function markSkipped(msg: NodeMessage, step: SkippedStep): void {
  const earlier = envelopeOf(msg)?.pipeline?.skipped;
  writeEnvelopePart(msg, "pipeline", "skipped", [...(Array.isArray(earlier) ? earlier.slice(-63) : []), step]);
}

/** Whether a switched-off node of `stage` passed this message by (so its partner has nothing to hand back). */
export function wasSkippedBy(msg: NodeMessage, stage: StageId): boolean {
  const skipped = envelopeOf(msg)?.pipeline?.skipped;
  return Array.isArray(skipped) && skipped.some((step) => step.stage === stage);
}

interface TextResponse extends AdminResponse {
  set(field: string, value: string): TextResponse;
  send(body: string): void;
}

const registeredApps = new WeakSet<object>();

/**
 * Who may call the health endpoints, from settings.js `waPipeline.health`: "open" (the default: probes cannot
 * log in, and the answers name no node and carry no data), "admin" (the wa-pipeline.read permission) or false (none).
 */
export function healthAccessOf(RED: NodeAPI): "open" | "admin" | "off" {
  const asked = (RED.settings as { waPipeline?: { health?: unknown } }).waPipeline?.health;
  if (asked === false || asked === "off") return "off";
  return asked === "admin" ? "admin" : "open";
}

/**
 * GET `wa-pipeline/health/live`: 200 while the runtime answers. GET `wa-pipeline/health/ready`: 200 when this
 * instance should get traffic, 503 with the reasons while it drains, a store does not answer or a connection is down.
 */
function registerHealthEndpoints(RED: NodeAPI, routes: AdminApp): void {
  const access = healthAccessOf(RED);
  if (access === "off") return;
  const guard = access === "admin" ? [adminRoutes(RED, "wa-pipeline").read] : [];
  routes.get("/wa-pipeline/health/live", ...guard, (_req: AdminRequest, res: AdminResponse) => {
    res.json({ status: "live" });
  });
  routes.get("/wa-pipeline/health/ready", ...guard, (_req: AdminRequest, res: AdminResponse) => {
    pipelineControl
      .readiness()
      .then((report) => res.status(report.ready ? 200 : 503).json({ status: report.ready ? "ready" : "not ready", ...report }))
      .catch((error: unknown) => res.status(503).json({ status: "not ready", reasons: [describeError(RED, error)] }));
  });
}

/**
 * The pipeline's admin endpoints, once per runtime, behind Node-RED's admin permissions:
 * GET `wa-pipeline/state` (JSON), GET `wa-pipeline/metrics` (Prometheus text), POST `wa-pipeline/stages/:stage`.
 */
export function registerPipelineEndpoints(RED: NodeAPI): void {
  const app = RED.httpAdmin as unknown as object | undefined;
  if (!app || registeredApps.has(app)) return;
  registeredApps.add(app);
  const { admin, read, write } = adminRoutes(RED, "wa-pipeline");
  const routes: AdminApp = admin;
  registerHealthEndpoints(RED, routes);
  routes.get("/wa-pipeline/state", read, (_req: AdminRequest, res: AdminResponse) => {
    res.json(pipelineControl.snapshot());
  });
  routes.get("/wa-pipeline/metrics", read, (_req: AdminRequest, res: TextResponse) => {
    res.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8").send(pipelinePrometheusText(pipelineControl.snapshot()));
  });
  routes.post("/wa-pipeline/stages/:stage", write, (req: AdminRequest, res: AdminResponse) => {
    const enabled = (req.body as { enabled?: unknown } | undefined)?.enabled;
    let stage: StageId;
    try {
      stage = parseStage(req.params.stage);
    } catch (error) {
      res.status(404).json({ error: describeError(RED, error) });
      return;
    }
    if (typeof enabled !== "boolean") {
      res.status(400).json({ error: 'Send {"enabled": true} or {"enabled": false} as JSON' });
      return;
    }
    const username = (req as AdminRequest & { user?: { username?: unknown } }).user?.username;
    const said = (req.body as { by?: unknown } | undefined)?.by;
    const source =
      typeof said === "string" && said.trim() !== ""
        ? said
            .replace(/\p{Cc}/gu, "")
            .trim()
            .slice(0, 40)
        : "admin api";
    const by = typeof username === "string" ? `${source} (${username.slice(0, 40)})` : source;
    pipelineControl
      .setStage(stage, enabled, by)
      .then((record) => res.json({ stage, ...record, stages: pipelineControl.switches.all() }))
      .catch((error: unknown) => res.status(503).json({ error: describeError(RED, error) }));
  });
}
