import assert from "node:assert/strict";
import { MAX_TRACE_SPANS, TraceSpan, addTraceSpan, readEnvelope, validateChatId, withoutUndefined } from "../../src/core/envelope";
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
});
