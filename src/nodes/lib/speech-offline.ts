import path from "node:path";
import { Worker } from "node:worker_threads";
import { WaError, WaErrorCode } from "../../core/errors";
import { EngineWorker } from "../../core/media/engine-pool";
import { SpeechJob, Transcript } from "../../core/media/speech";
import type { FromSpeechThread, OfflineSpeechSettings, ToSpeechThread } from "./speech-offline-worker";

export type HeardSpeech = Transcript & { durationSeconds?: number };

/** Starts one offline speech thread; resolves once its model is loaded, with the grammar words its dictionary lacks. */
export function startOfflineSpeechThread(settings: OfflineSpeechSettings, onUnknownWords: (words: string[]) => void = () => undefined): Promise<EngineWorker<SpeechJob, HeardSpeech>> {
  const fromSource = __filename.endsWith(".ts");
  const script = path.join(__dirname, `speech-offline-worker.${fromSource ? "ts" : "js"}`);
  // Under the test runner the thread is TypeScript too, loaded through tsx's require hook.
  const thread = fromSource
    ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(script)});`, { eval: true, workerData: settings, stdout: true, stderr: true })
    : new Worker(script, { workerData: settings, stdout: true, stderr: true });
  thread.stdout.resume();
  thread.stderr.resume();
  const pending = new Map<number, { resolve: (value: HeardSpeech) => void; reject: (error: unknown) => void }>();
  let nextId = 1;
  let exited = false;

  return new Promise((resolveStart, rejectStart) => {
    const failAll = (error: WaError) => {
      for (const job of pending.values()) job.reject(error);
      pending.clear();
      rejectStart(error);
    };
    thread.on("error", (error) => failAll(new WaError("media.unreadable", `The speech engine stopped: ${error.message.slice(0, 200)}`, { reason: error.message.slice(0, 200) })));
    thread.on("exit", () => {
      exited = true;
      failAll(new WaError("media.closed", "The speech engine stopped"));
    });
    thread.on("message", (message: FromSpeechThread) => {
      if (message.type === "ready") {
        if (message.unknownWords.length > 0) onUnknownWords(message.unknownWords);
        resolveStart({
          run(job: SpeechJob): Promise<HeardSpeech> {
            if (exited) return Promise.reject(new WaError("media.closed", "The speech engine stopped"));
            const id = nextId++;
            return new Promise((resolve, reject) => {
              pending.set(id, { resolve, reject });
              thread.postMessage({ id, audio: job.audio, container: job.container, language: job.language } satisfies ToSpeechThread);
            });
          },
          async terminate(): Promise<void> {
            await thread.terminate();
          },
        });
      } else if (message.type === "failed") {
        void thread.terminate();
        rejectStart(new WaError("media.unreadable", `The speech engine could not start: ${message.message}`, { reason: message.message }));
      } else {
        const job = pending.get(message.id);
        pending.delete(message.id);
        if (!job) return;
        if (message.type === "result") job.resolve({ ...message.transcript, durationSeconds: message.durationSeconds });
        else job.reject(new WaError(message.code as WaErrorCode, message.message, message.params));
      }
    });
  });
}
