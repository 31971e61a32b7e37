import assert from "node:assert/strict";
import {
  MAX_TRACE_SPANS,
  TraceSpan,
  addTraceSpan,
  envelopeOf,
  readEnvelope,
  validateChatId,
  withoutUndefined,
  writeEnvelopePart,
} from "../../src/core/envelope";
import { WaError } from "../../src/core/errors";

const message = {
  id: "m1",
  chatId: "447700900123@c.us",
  from: "447700900123@c.us",
  body: "hi",
  type: "chat",
  timestamp: 1,
  receivedAt: 1,
  isGroup: false,
  fromMe: false,
  transport: "test",
};

describe("envelope", () => {
  it("reads a valid envelope and adds a trace when missing", () => {
    const msg = { wa: { message: { ...message } } };
    const envelope = readEnvelope(msg);
    assert.equal(envelope, msg.wa);
    assert.deepEqual(envelope.trace, []);
  });

  it("explains each way a message is not an envelope", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as WaError).code;
      }
      return "none";
    };
    assert.equal(
      code(() => readEnvelope({})),
      "envelope.missing",
    );
    assert.equal(
      code(() => readEnvelope({ wa: "x" })),
      "envelope.invalid",
    );
    assert.equal(
      code(() => readEnvelope({ wa: { message: { ...message, chatId: undefined } } })),
      "envelope.missingChatId",
    );
    assert.equal(
      code(() => readEnvelope({ wa: { message: { ...message, chatId: 42 } } })),
      "envelope.invalidChatId",
    );
    assert.equal(
      code(() => readEnvelope({ wa: { message: { ...message, chatId: "a\nb" } } })),
      "envelope.invalidChatId",
    );
    assert.equal(
      code(() => readEnvelope({ wa: { message: { ...message, body: "x".repeat(65_537) } } })),
      "envelope.bodyTooLong",
    );
    assert.equal(
      code(() => validateChatId("x".repeat(129))),
      "envelope.invalidChatId",
    );
  });

  it("bounds the trace of a message that loops", () => {
    const envelope: { trace?: TraceSpan[] } = {};
    for (let i = 0; i < MAX_TRACE_SPANS + 10; i += 1) addTraceSpan(envelope, { nodeId: `n${i}`, nodeType: "t", start: i, end: i });
    assert.equal(envelope.trace!.length, MAX_TRACE_SPANS);
    assert.equal(envelope.trace![0].nodeId, "n10");
  });

  it("drops undefined keys", () => {
    assert.deepEqual(Object.keys(withoutUndefined({ a: 1, b: undefined, c: null })), ["a", "c"]);
  });

  it("writes each node's result under its key of the stage's part, beside the others, without changing a clone's part", () => {
    const msg = { payload: "hi", wa: { message: { ...message }, trace: [], nlu: { intent: { label: "order" } } } };
    const earlierClone = msg.wa.nlu;
    writeEnvelopePart(msg, "nlu", "sentiment", { label: "positive" });
    writeEnvelopePart(msg, "resilience", "dedupe", { key: "m1", first: true, firstSeenAt: 5 });
    writeEnvelopePart(msg, "sheets", "write", { range: "Log!A1", key: "m1", written: true });
    assert.deepEqual(msg.wa.nlu, { intent: { label: "order" }, sentiment: { label: "positive" } });
    assert.deepEqual(earlierClone, { intent: { label: "order" } }, "the part is replaced, not changed in place");
    assert.deepEqual(envelopeOf(msg)?.resilience, { dedupe: { key: "m1", first: true, firstSeenAt: 5 } });
    assert.deepEqual(envelopeOf(msg)?.sheets, { write: { range: "Log!A1", key: "m1", written: true } });
  });

  it("gives a message without an envelope one that holds just the part: nothing the pack writes lands outside msg.wa", () => {
    const plain: Record<string, unknown> = { payload: "I want 2 pizzas" };
    writeEnvelopePart(plain, "nlu", "intent", { label: "order" });
    assert.deepEqual(plain, { payload: "I want 2 pizzas", wa: { trace: [], nlu: { intent: { label: "order" } } } });
    const odd: Record<string, unknown> = { wa: "not an object" };
    writeEnvelopePart(odd, "resilience", "mode", "reduced");
    assert.deepEqual(odd.wa, { trace: [], resilience: { mode: "reduced" } });
    assert.equal(envelopeOf({ wa: [1] }), undefined);
    assert.equal(envelopeOf({}), undefined);
  });
});
