import { Clock } from "../../core/clock";
import { WaError } from "../../core/errors";
import { EnginePool, Timed } from "../../core/media/engine-pool";
import { attachMediaResult } from "./media-message";
import { StatusReporter, failMessage, onClose, onInput, traceMessage, translate } from "./node-kit";
import { DoneFunction, Node, NodeAPI, NodeMessage } from "./red";

export interface MediaStage<Job, Result> {
  /** The key under msg.wa.media (or msg) the result goes to. */
  key: string;
  /** Checks the message and builds the engine's job; throws a WaError for what cannot be read. */
  prepare(msg: NodeMessage): Job | Promise<Job>;
  /** What goes into the message from the engine's answer. */
  present(result: Timed<Result>, job: Job, msg: NodeMessage): unknown;
}

/**
 * The wiring every media node shares: a job per message through the engine pool, the result in
 * msg.wa.media.<key>, failures to the Catch node, counts in the status, the pool closed with the node.
 */
export function serveMediaStage<Job, Result>(
  RED: NodeAPI,
  node: Node,
  status: StatusReporter,
  clock: Clock,
  pool: EnginePool<Job, Result>,
  stage: MediaStage<Job, Result>,
): void {
  let done = 0;
  let failed = 0;
  const showCounts = () =>
    status.set(() => ({
      fill: failed > 0 ? "yellow" : "green",
      shape: "dot",
      text: translate(RED, "media.counts", `${done} read, ${failed} failed, ${pool.queued} waiting`, {
        read: done,
        failed,
        waiting: pool.queued,
      }),
    }));
  const fail = (finish: DoneFunction, error: unknown) => {
    failed += 1;
    const reason = String((error as Error)?.message ?? error).slice(0, 200);
    failMessage(
      RED,
      status,
      finish,
      error instanceof WaError ? error : new WaError("media.unreadable", `The media could not be read: ${reason}`, { reason }),
    );
    showCounts();
  };

  onInput(RED, node, status, (msg, send, finish) => {
    const start = clock.now();
    Promise.resolve()
      .then(() => stage.prepare(msg))
      .then(
        (job) =>
          pool.run(job).then(
            (result) => {
              attachMediaResult(msg, stage.key, stage.present(result, job, msg));
              done += 1;
              traceMessage(msg, node, start, clock.now());
              send(msg);
              showCounts();
              finish();
            },
            (error: unknown) => fail(finish, error),
          ),
        (error: unknown) => fail(finish, error),
      );
    showCounts();
  });
  onClose(RED, node, () => {
    status.close();
    return pool.close();
  });
}
