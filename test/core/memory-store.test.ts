import assert from "node:assert/strict";
import { MemoryStore } from "../../src/core/store/memory-store";
import { describeStoreConformance } from "./store-conformance";

describeStoreConformance("memory", async (clock) => {
  const store = new MemoryStore(clock);
  return { store, exactTime: true, advance: async (ms) => clock.advance(ms), cleanup: () => store.close() };
});

describe("MemoryStore", () => {
  it("refuses every call after close", async () => {
    const store = new MemoryStore();
    await store.close();
    await assert.rejects(store.get("a"), /closed/);
  });
});
