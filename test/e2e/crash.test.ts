import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisStore } from "../../src/core/store/redis-store";
import { REDIS_URL, redisReachable } from "../core/redis-available";
import { RunningNodeRed, linkedUserDir, repoRoot, scriptedClientNode, startNodeRed, waitFor } from "./runtime";
import { requirePrerequisite } from "../support/prerequisite";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string };
const MESSAGES = 200;
const CHATS = 20;

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** The flow: simulated stream -> durable queue -> 100 ms of work -> log -> ack. */
function pipeline(dir: string, store: Record<string, unknown>, withSource: boolean): Record<string, unknown>[] {
  const z = "crash-tab";
  const appendLine = (id: string, file: string, next: string[]) => ({
    id,
    z,
    type: "file",
    name: "",
    filename: file,
    filenameType: "str",
    appendNewline: true,
    createDir: true,
    overwriteFile: "false",
    encoding: "none",
    wires: [next],
  });
  const flow: Record<string, unknown>[] = [
    { id: z, type: "tab", label: "crash" },
    { id: "store1", type: "wa-store", name: "", ...store },
    {
      id: "queue1",
      z,
      type: "wa-message-queue",
      store: "store1",
      mode: "enqueue",
      queueName: "crash",
      key: "wa.message.chatId",
      maxPerChat: "1000",
      maxTotal: "100000",
      overflow: "reject",
      ackTimeout: "20",
      maxDeliveries: "5",
      outputs: 2,
      wires: [["work1"], []],
    },
    {
      id: "work1",
      z,
      type: "delay",
      pauseType: "delay",
      timeout: "100",
      timeoutUnits: "milliseconds",
      rate: "1",
      nbRateUnits: "1",
      rateUnits: "second",
      randomFirst: "1",
      randomLast: "5",
      randomUnits: "seconds",
      drop: false,
      outputs: 1,
      wires: [["line1"]],
    },
    {
      id: "line1",
      z,
      type: "change",
      rules: [{ t: "set", p: "payload", pt: "msg", to: 'wa.message.id & " " & $string(wa.session.queue.deliveryCount)', tot: "jsonata" }],
      wires: [["processed1"]],
    },
    appendLine("processed1", join(dir, "processed.log"), ["ack1"]),
    { id: "ack1", z, type: "wa-message-queue", store: "store1", mode: "ack", queueName: "crash", outputs: 1, wires: [[]] },
    // The witness of acceptance is written synchronously when the queue says it has the message: a file node's
    // buffered append could still be pending at the kill and lose a line the queue really had.
    { id: "accepted1", z, type: "complete", scope: ["queue1"], uncaught: false, wires: [["acceptedLog1"]] },
    {
      id: "acceptedLog1",
      z,
      type: "function",
      func: `global.get("appendLineSync")(${JSON.stringify(join(dir, "accepted.log"))}, msg.wa.message.id); return null;`,
      outputs: 1,
      wires: [[]],
    },
    { id: "catch1", z, type: "catch", scope: null, uncaught: false, wires: [["errorsLog1"]] },
    {
      id: "errorsLog1",
      z,
      type: "change",
      rules: [{ t: "set", p: "payload", pt: "msg", to: "error.message", tot: "msg" }],
      wires: [["errorsFile1"]],
    },
    appendLine("errorsFile1", join(dir, "errors.log"), []),
  ];
  if (withSource) {
    flow.push(
      scriptedClientNode("sim1", join(dir, "stream.jsonl"), { speed: "100000", maxGap: "0.002", stagger: "0.005", startDelay: "0.5" }),
      { id: "in1", z, type: "wa-in", client: "sim1", includeGroups: true, types: "all", wires: [["queue1"]] },
    );
  }
  return flow;
}

function prepare(dir: string): string {
  const userDir = join(dir, "userdir");
  linkedUserDir(
    userDir,
    pkg.name,
    `  functionGlobalContext: { appendLineSync: (file, line) => require("fs").appendFileSync(file, line + "\\n") },`,
  );
  const stream = Array.from({ length: MESSAGES }, (_, i) => {
    const chat = `44770090${String(i % CHATS).padStart(4, "0")}@c.us`;
    return JSON.stringify({
      id: `m${String(i).padStart(4, "0")}`,
      conversation: chat,
      chat,
      from: chat,
      timestamp: 1_800_000_000 + i,
      text: `message ${i}`,
    });
  });
  writeFileSync(join(dir, "stream.jsonl"), stream.join("\n"));
  return userDir;
}

for (const backend of ["embedded (SQLite)", "Redis"] as const) {
  describe(`kill -9 in the middle of a stream, durable queue on ${backend}`, function () {
    this.timeout(180_000);
    let dir: string;
    let runtime: RunningNodeRed | undefined;
    const prefix = `wa-crash-${randomUUID().slice(0, 8)}:`;

    before(async function () {
      requirePrerequisite(this, backend !== "Redis" || (await redisReachable()), `no Redis reachable at ${REDIS_URL}`);
      dir = mkdtempSync(join(tmpdir(), "wa-crash-"));
    });
    after(async () => {
      await runtime?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (backend === "Redis" && (await redisReachable())) {
        const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
        for (const key of await store.keys("")) await store.delete(key);
        await store.close();
      }
    });

    it("processes every accepted message after the restart; a duplicate only as a counted redelivery", async () => {
      const store =
        backend === "Redis"
          ? { backend: "redis", url: REDIS_URL, keyPrefix: prefix, tls: false }
          : { backend: "sqlite", file: "crash.db", synchronous: "NORMAL" };
      const userDir = prepare(dir);
      const processedFile = join(dir, "processed.log");
      const acceptedFile = join(dir, "accepted.log");

      writeFileSync(join(userDir, "flows.json"), JSON.stringify(pipeline(dir, store, true)));
      runtime = await startNodeRed(userDir);
      await waitFor(() => lines(processedFile).length >= 30, 60_000, "30 processed messages before the kill");
      await runtime.killHard();
      const processedBefore = lines(processedFile).length;
      const acceptedBefore = lines(acceptedFile).length;
      assert.ok(processedBefore < acceptedBefore, `killed mid-stream: ${processedBefore} processed of ${acceptedBefore} accepted`);

      // Restart without the source: only what the queue kept can appear now.
      writeFileSync(join(userDir, "flows.json"), JSON.stringify(pipeline(dir, store, false)));
      runtime = await startNodeRed(userDir);
      const accepted = new Set(lines(acceptedFile));
      const processedIds = () => new Set(lines(processedFile).map((line) => line.split(" ")[0]));
      await waitFor(() => [...accepted].every((id) => processedIds().has(id)), 90_000, "every accepted message processed");

      const seen = new Map<string, number[]>();
      for (const line of lines(processedFile)) {
        const [id, count] = line.split(" ");
        seen.set(id, [...(seen.get(id) ?? []), Number(count)]);
      }
      for (const [id, counts] of seen) {
        assert.ok(accepted.has(id), `${id} was processed but never accepted`);
        if (counts.length > 1)
          assert.ok(
            counts.some((c) => c > 1),
            `${id} processed ${counts.length} times with counts ${counts.join(",")}`,
          );
      }
      // Per chat, messages were first processed in the order they were sent (ids grow with the stream).
      const firstSeen = [...new Set(lines(processedFile).map((line) => line.split(" ")[0]))];
      for (let chat = 0; chat < CHATS; chat += 1) {
        const ofChat = firstSeen.filter((id) => Number(id.slice(1)) % CHATS === chat);
        assert.deepEqual(ofChat, [...ofChat].sort(), `chat ${chat} kept its order`);
      }
      const redelivered = [...seen.values()].filter((counts) => counts.some((c) => c > 1)).length;
      assert.ok(redelivered >= 1, "the messages in flight at the kill came back as redeliveries");
      assert.deepEqual(lines(join(dir, "errors.log")), [], "no pipeline errors");
      console.log(
        `      ${backend}: ${acceptedBefore} accepted and ${processedBefore} processed at the kill; ${accepted.size} accepted in all, ${seen.size} processed after the restart, ${redelivered} redelivered`,
      );
    });
  });
}
