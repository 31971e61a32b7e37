import { hostname } from "node:os";
import { Clock, TimerHandle } from "../../core/clock";
import { addTraceSpan } from "../../core/envelope";
import { ErrorParams, isWaError } from "../../core/errors";
import { FieldIssue, SettingsError, SettingsWords, describeFieldIssue } from "../../core/settings/schema";
import { catalogueAnswer, settingsWordsFor, typeOfField } from "../schemas/settings-words";
import { COMMON_NAMESPACE, DoneFunction, MODULE_NAME, Node, NodeAPI, NodeDef, NodeMessage, NodeStatus, SendFunction } from "./red";
import { runtimeWorld } from "./world";
import { STAGE_SWITCH_TOPIC, markSkipped, pipelineControl, registerPipelineEndpoints } from "./pipeline-control";
import type { NodeGauges } from "../../core/pipeline/pipeline-metrics";

/**
 * A runtime string from the pack's shared catalogue (`<key>` under the wa-client set), or
 * `fallback` when no catalogue is loaded (Node-RED returns the key itself then).
 */
export function translate(
  RED: NodeAPI,
  key: string,
  fallback: string,
  params?: Record<string, string | number>,
  namespace: string = COMMON_NAMESPACE,
): string {
  return catalogueText(RED, namespace, key, params) ?? fallback;
}

/** `key` of a catalogue namespace in the runtime's language, undefined when no catalogue has it (Node-RED then gives the key back). */
function catalogueText(RED: NodeAPI, namespace: string, key: string, params?: Record<string, string | number>): string | undefined {
  return catalogueAnswer(RED._(`${namespace}:${key}`, params), key);
}

/** A node's own runtime texts: `key` in its locale file (nodes/locales/<lang>/<type>.json), `fallback` without one. */
export function nodeTexts(RED: NodeAPI, type: string): (key: string, fallback: string, params?: Record<string, string | number>) => string {
  const namespace = `${MODULE_NAME}/${type}`;
  return (key, fallback, params) => translate(RED, key, fallback, params, namespace);
}

/** Node-RED's user directory, where the files a form names are looked up (the working directory when unset). */
export function userDirOf(RED: NodeAPI): string {
  return (RED.settings as { userDir?: string }).userDir ?? process.cwd();
}

/** This Node-RED among others sharing a store: its host and user directory (the same after a restart). */
export function runtimeIdentity(RED: NodeAPI): string {
  return `${hostname()}:${userDirOf(RED)}`.slice(0, 200);
}

/** The words of a node's settings problem in the runtime's language (Node-RED's `lang` setting). */
function runtimeSettingsWords(RED: NodeAPI, issue: FieldIssue): SettingsWords {
  return settingsWordsFor(typeOfField(issue.field), (namespace, key, params) => catalogueText(RED, namespace, key, params));
}

/** An error's params with each `<name>Term` (a key under terms.) given as `<name>`, in the runtime's language. */
function withTerms(RED: NodeAPI, params: ErrorParams): ErrorParams {
  const terms = Object.entries(params).filter(([name]) => name.endsWith("Term"));
  if (terms.length === 0) return params;
  return {
    ...params,
    ...Object.fromEntries(terms.map(([name, term]) => [name.slice(0, -"Term".length), translate(RED, `terms.${term}`, String(term))])),
  };
}

/** The text of an error for a person: translated when the catalogue has it, English otherwise. */
export function describeError(RED: NodeAPI, error: unknown): string {
  if (error instanceof SettingsError) return describeFieldIssue(error.issue, runtimeSettingsWords(RED, error.issue));
  if (isWaError(error)) return translate(RED, error.textKey, error.message, withTerms(RED, error.params));
  return error instanceof Error ? error.message : String(error);
}

/**
 * An Error whose message is the person-readable text and which keeps the machine code: every error
 * a Catch node sees has a code of the catalogue (`internal.unexpected` for one that is not the pack's own).
 */
export function toNodeError(RED: NodeAPI, error: unknown): Error & { code: string } {
  const wrapped = new Error(describeError(RED, error)) as Error & { code: string };
  wrapped.code = isWaError(error) ? error.code : "internal.unexpected";
  return wrapped;
}

/** One error funnel: red status, and the error goes to `done` so Catch nodes see the message. */
export function failMessage(RED: NodeAPI, status: StatusReporter, done: DoneFunction, error: unknown): void {
  const nodeError = toNodeError(RED, error);
  status.set({ fill: "red", shape: "ring", text: truncate(nodeError.message, 60) }, true);
  done(nodeError);
}

/**
 * Registers a node's input handler behind the pack's error funnel: a throw, or a promise the handler
 * returns that rejects, fails only that message (red status, a catalogue code, the Catch node) instead of
 * escaping to Node-RED without a code.
 */
export function onInput(
  RED: NodeAPI,
  node: Node,
  status: StatusReporter,
  handler: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void | Promise<void>,
): void {
  node.on("input", (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
    const member = pipelineControl.member(node.id);
    if (
      member?.stage !== undefined &&
      !member.runsWhileOff &&
      msg.topic !== STAGE_SWITCH_TOPIC &&
      !pipelineControl.switches.isEnabled(member.stage)
    ) {
      member.meter.passedBy();
      markSkipped(msg, { stage: member.stage, nodeId: node.id, nodeType: node.type });
      send(msg);
      done();
      return;
    }
    const clock = runtimeWorld().clock;
    const startedAt = clock.now();
    member?.meter.started();
    let finished = false;
    const finish: DoneFunction = (error) => {
      if (!finished) {
        finished = true;
        member?.meter.finished(clock.now() - startedAt, error !== undefined);
      }
      done(error);
    };
    try {
      const result = handler(msg, send, finish);
      if (result instanceof Promise) result.catch((error: unknown) => failMessage(RED, status, finish, error));
    } catch (error) {
      failMessage(RED, status, finish, error);
    }
  });
}

/**
 * Makes a node a member of the pipeline: its stage's switch gates its input (see onInput), its counts and
 * `gauges` go into the pipeline's figures, and it leaves when it closes. `mode` tells the halves that run
 * while their stage is off (a lock's release, a queue's ack).
 */
export function joinPipeline(RED: NodeAPI, node: Node, status: StatusReporter, mode?: unknown): void {
  registerPipelineEndpoints(RED);
  pipelineControl.join(RED, node, status, mode);
  node.on("close", (done: () => void) => {
    void pipelineControl.drain(RED, node.id).finally(() => {
      pipelineControl.leave(node.id);
      done();
    });
  });
}

/** What a node does when the flows stop with messages in flight: hurry what it holds (write a batch now). */
export function onDrain(node: Node, hurry: () => void): void {
  pipelineControl.onDrain(node.id, hurry);
}

/** Adds what a node reports beyond its counts (queue depth, breaker state) to the pipeline's figures. */
export function reportGauges(node: Node, gauges: () => NodeGauges): void {
  const member = pipelineControl.member(node.id);
  if (member) member.gauges = gauges;
}

/**
 * Registers a node's close handler in one shape: `release` stops timers, hands back what the node held
 * and may return a promise; a failure is logged as a warning and the close always completes.
 */
export function onClose(RED: NodeAPI, node: Node, release: (removed: boolean) => unknown): void {
  node.on("close", (removed: boolean, done: () => void) => {
    const finish = (error?: unknown) => {
      if (error !== undefined) node.warn(describeError(RED, error));
      done();
    };
    // A pipeline node first lets the messages in flight finish (see PipelineControl.drain), then releases.
    pipelineControl
      .drain(RED, node.id)
      .then(() => release(removed === true))
      .then(() => finish(), finish);
  });
}

/**
 * Puts a node out of action for a reason a person can fix (bad settings, a store that
 * cannot open): it logs the reason, shows it in red, and fails every message with it.
 */
export function disableNode(RED: NodeAPI, node: Node, status: StatusReporter, error: unknown): void {
  const reason = toNodeError(RED, error);
  node.error(reason.message);
  status.set({ fill: "red", shape: "ring", text: truncate(reason.message, 60) }, true);
  node.on("input", (_msg: NodeMessage, _send: SendFunction, done: DoneFunction) => {
    const failure = new Error(reason.message) as Error & { code: string };
    failure.code = reason.code;
    done(failure);
  });
}

/** What every pipeline node starts with: itself, the runtime's clock, its status line and its settings. */
export interface StartedNode<N extends Node, T> {
  node: N;
  clock: Clock;
  status: StatusReporter;
  settings: T;
  /** The node's own texts (its locale file), for status lines and warnings. */
  text: ReturnType<typeof nodeTexts>;
}

/**
 * Creates the node in Node-RED with its status line and reads its settings; undefined when they
 * cannot be used (the node is then out of action, saying why).
 */
export function startNode<N extends Node, T>(RED: NodeAPI, node: N, config: NodeDef, read: () => T): StartedNode<N, T> | undefined {
  RED.nodes.createNode(node, config);
  const clock = runtimeWorld().clock;
  const status = new StatusReporter(node, clock);
  const settings = readSettings(RED, node, status, read);
  if (settings === undefined) return undefined;
  joinPipeline(RED, node, status, (config as NodeDef & { mode?: unknown }).mode);
  return { node, clock, status, settings, text: nodeTexts(RED, node.type) };
}

/** Reads a node's settings, or disables the node with the reason and returns undefined. */
export function readSettings<T>(RED: NodeAPI, node: Node, status: StatusReporter, read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    disableNode(RED, node, status, error);
    return undefined;
  }
}

/** Puts an error on the message (`msg.error`, as Catch nodes do) for an error output. */
export function attachError(RED: NodeAPI, node: Node, msg: NodeMessage, error: unknown): void {
  const nodeError = toNodeError(RED, error);
  (msg as NodeMessage & { error?: unknown }).error = {
    message: nodeError.message,
    code: nodeError.code,
    source: { id: node.id, type: node.type },
  };
}

/**
 * Reports an error about a message this node no longer holds a `done` for. The Error (not its text)
 * goes to node.error, so the Catch node's msg.error carries the code.
 */
export function reportError(RED: NodeAPI, node: Node, status: StatusReporter, msg: NodeMessage, error: unknown): void {
  const nodeError = toNodeError(RED, error);
  status.set({ fill: "red", shape: "ring", text: truncate(nodeError.message, 60) }, true);
  node.error(nodeError, msg);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A status, or a function that makes one (so a throttled status costs nothing until shown). */
export type StatusSource = NodeStatus | (() => NodeStatus);

/**
 * Status updates go to every open editor; at thousands of messages a second they must be
 * throttled. The latest status is shown at most every `intervalMs`; `force` shows it now.
 */
export class StatusReporter {
  private pending: StatusSource | undefined;
  private timer: TimerHandle | undefined;
  private lastShown = Number.NEGATIVE_INFINITY;
  private lastText = "";
  /** While set (a switched-off stage), this status stays shown and updates wait behind it. */
  private held: NodeStatus | undefined;
  private latest: StatusSource | undefined;

  constructor(
    private readonly node: Node,
    private readonly clock: Clock,
    private readonly intervalMs = 500,
  ) {}

  set(status: StatusSource, force = false): void {
    if (this.held) {
      this.latest = status;
      return;
    }
    const now = this.clock.now();
    if (force || now - this.lastShown >= this.intervalMs) {
      this.show(status, now);
      return;
    }
    this.pending = status;
    if (!this.timer) {
      this.timer = this.clock.setTimeout(
        () => {
          this.timer = undefined;
          if (this.pending) this.show(this.pending, this.clock.now());
        },
        this.intervalMs - (now - this.lastShown),
      );
    }
  }

  /** A green dot: the node works; `text` is made only when the status is shown. */
  ok(text: () => string, force = false): void {
    this.set(() => ({ fill: "green", shape: "dot", text: text() }), force);
  }

  /** Shows `status` and keeps it shown, whatever the node reports, until `release`. */
  hold(status: NodeStatus): void {
    this.close();
    this.held = status;
    this.lastText = JSON.stringify(status);
    this.node.status(status);
  }

  /** Ends a `hold`: the node's latest own status is shown again. */
  release(): void {
    if (!this.held) return;
    this.held = undefined;
    this.lastText = "";
    const latest = this.latest;
    if (latest) this.show(latest, this.clock.now());
    else this.node.status({});
  }

  clear(): void {
    this.close();
    this.latest = undefined;
    if (!this.held) this.node.status({});
  }

  close(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private show(source: StatusSource, now: number): void {
    this.pending = undefined;
    this.latest = source;
    this.lastShown = now;
    const status = typeof source === "function" ? source() : source;
    const key = JSON.stringify(status);
    if (key === this.lastText) return;
    this.lastText = key;
    this.node.status(status);
  }
}

export interface TraceableNode {
  id: string;
  type: string;
  name?: string;
}

/** Appends this node's span to the envelope's trace (if the message carries an envelope). */
export function traceMessage(msg: NodeMessage, node: TraceableNode, start: number, end: number): void {
  const wa = (msg as { wa?: unknown }).wa;
  if (typeof wa !== "object" || wa === null) return;
  addTraceSpan(wa as { trace?: [] }, { nodeId: node.id, nodeType: node.type, nodeName: node.name || undefined, start, end });
}

/** Reads the chat key from the message property the user chose (default: the envelope's chat id). */
export function readMessageKey(RED: NodeAPI, msg: NodeMessage, property: string): unknown {
  try {
    return RED.util.getMessageProperty(msg, property);
  } catch {
    // Node-RED throws when a parent of the path is missing; for us that is just "no key".
    return undefined;
  }
}
