import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../../src/core/clock";
import { EnginePool, EnginePoolOptions } from "../../../src/core/media/engine-pool";
import { OcrResult, OcrWorker } from "../../../src/core/media/ocr/ocr";

/** A worker whose reads finish when the test says so (or never), recording what happened to it. */
class ScriptedWorker implements OcrWorker {
  static created: ScriptedWorker[] = [];
  readonly reads: { image: Buffer; finish: (text: string) => void; fail: (error: Error) => void }[] = [];
  terminated = false;
  constructor() {
    ScriptedWorker.created.push(this);
  }
  run(image: Buffer): Promise<OcrResult> {
    return new Promise((resolve, reject) => {
      this.reads.push({ image, finish: (text) => resolve({ text, confidence: 90, words: [] }), fail: reject });
    });
  }
  async terminate(): Promise<void> {
    this.terminated = true;
  }
}

describe("engine pool (with OCR workers)", () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 1));
    ScriptedWorker.created = [];
  });
  const pool = (options: Partial<EnginePoolOptions<OcrResult>> = {}, create: () => Promise<OcrWorker> = async () => new ScriptedWorker()) =>
    new EnginePool<Buffer, OcrResult>(
      create,
      { label: "OCR", size: 2, timeoutMs: 30_000, startTimeoutMs: 60_000, maxWaiting: 10, ...options },
      clock,
    );

  it("creates workers only when images come, at most its size, and queues the rest in order", async () => {
    const ocr = pool();
    assert.equal(ocr.started, 0);
    const results = ["a", "b", "c"].map((name) => ocr.run(Buffer.from(name)));
    await flushMicrotasks();
    assert.equal(ScriptedWorker.created.length, 2);
    assert.equal(ocr.queued, 1);
    clock.advance(400);
    ScriptedWorker.created[0].reads[0].finish("first");
    const first = await results[0];
    assert.deepEqual([first.text, first.engineMs, first.queuedMs], ["first", 400, 0]);
    await flushMicrotasks();
    // The third image went to the worker that became free, after waiting 400 ms.
    assert.equal(ScriptedWorker.created[0].reads[1].image.toString(), "c");
    ScriptedWorker.created[0].reads[1].finish("third");
    ScriptedWorker.created[1].reads[0].finish("second");
    assert.deepEqual([(await results[1]).text, (await results[2]).text, (await results[2]).queuedMs], ["second", "third", 400]);
    assert.equal(ScriptedWorker.created.length, 2, "workers are reused");
  });

  it("fails an image that takes too long, terminates its worker and starts a new one for the next", async () => {
    const ocr = pool({ size: 1 });
    const stuck = assert.rejects(ocr.run(Buffer.from("huge")), (error: { code?: string }) => error.code === "media.timeout");
    await flushMicrotasks();
    await clock.advanceAsync(30_000);
    await stuck;
    await flushMicrotasks();
    assert.equal(ScriptedWorker.created[0].terminated, true);
    const next = ocr.run(Buffer.from("small"));
    await flushMicrotasks();
    assert.equal(ScriptedWorker.created.length, 2);
    ScriptedWorker.created[1].reads[0].finish("ok");
    assert.equal((await next).text, "ok");
  });

  it("keeps a worker after an unreadable image, replaces one that failed to start, bounds the queue, and closes", async () => {
    let failStart = true;
    const ocr = pool({ size: 1, maxWaiting: 1 }, async () => {
      if (failStart) {
        failStart = false;
        throw new Error("no language data");
      }
      return new ScriptedWorker();
    });
    await assert.rejects(ocr.run(Buffer.from("x")), /no language data/);
    const bad = ocr.run(Buffer.from("garbage"));
    await flushMicrotasks();
    ScriptedWorker.created[0].reads[0].fail(new Error("Error attempting to read image."));
    await assert.rejects(bad, /read image/);
    assert.equal(ScriptedWorker.created[0].terminated, false, "a bad image does not cost the worker");
    const busy = ocr.run(Buffer.from("1"));
    const waiting = ocr.run(Buffer.from("2"));
    await assert.rejects(ocr.run(Buffer.from("3")), (error: { code?: string }) => error.code === "media.busy");
    await flushMicrotasks();
    await ocr.close();
    await assert.rejects(waiting, (error: { code?: string }) => error.code === "media.closed");
    assert.equal(ScriptedWorker.created[0].terminated, true);
    await assert.rejects(ocr.run(Buffer.from("4")), (error: { code?: string }) => error.code === "media.closed");
    void busy.catch(() => undefined);
  });

  describe("memory bounds", () => {
    // The cost of a read is the length of its text here, standing in for the pixels of a photo.
    const bounded = (options: Partial<EnginePoolOptions<OcrResult>>) =>
      pool({ size: 1, costOf: (result) => result.text.length, ...options });
    const read = async (ocr: EnginePool<Buffer, OcrResult>, text: string, worker = ScriptedWorker.created.length - 1) => {
      const result = ocr.run(Buffer.from(text));
      await flushMicrotasks();
      ScriptedWorker.created[worker === -1 ? ScriptedWorker.created.length - 1 : worker].reads.at(-1)!.finish(text);
      await result;
      await flushMicrotasks();
    };

    it("retires a worker after a job that cost more than one job may, and starts a fresh one for the next", async () => {
      const ocr = bounded({ maxCostPerJob: 10 });
      await read(ocr, "small", -1);
      assert.equal(ScriptedWorker.created[0].terminated, false, "a small job keeps the worker");
      await read(ocr, "a very large page of text", 0);
      assert.equal(ScriptedWorker.created[0].terminated, true, "its memory is given back");
      assert.equal(ocr.retiredForMemory, 1);
      await read(ocr, "next", -1);
      assert.equal(ScriptedWorker.created.length, 2, "a new worker read the next image");
    });

    it("retires a worker once its jobs together cost more than its budget", async () => {
      const ocr = bounded({ maxCostPerWorker: 12 });
      await read(ocr, "aaaa", -1);
      await read(ocr, "bbbb", 0);
      await read(ocr, "cccc", 0);
      assert.equal(ScriptedWorker.created[0].terminated, false, "12 is within the budget");
      await read(ocr, "d", 0);
      assert.equal(ScriptedWorker.created[0].terminated, true);
      await read(ocr, "eeee", -1);
      assert.equal(ScriptedWorker.created.length, 2);
      assert.equal(ScriptedWorker.created[1].terminated, false, "the budget starts again for the new worker");
    });

    it("retires a worker that has been idle for the idle time, not one that keeps working", async () => {
      const ocr = bounded({ idleRetireMs: 60_000 });
      await read(ocr, "one", -1);
      await clock.advanceAsync(59_000);
      await read(ocr, "two", 0);
      await clock.advanceAsync(59_000);
      assert.equal(ScriptedWorker.created[0].terminated, false, "each job starts the idle time again");
      await clock.advanceAsync(1_000);
      assert.equal(ScriptedWorker.created[0].terminated, true);
      assert.equal(ocr.retiredForMemory, 1);
      await read(ocr, "three", -1);
      assert.equal(ScriptedWorker.created.length, 2);
      await ocr.close();
      await clock.advanceAsync(120_000);
      assert.equal(ocr.retiredForMemory, 1, "no idle timer outlives the pool");
    });
  });
});
