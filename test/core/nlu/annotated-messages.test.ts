import assert from "node:assert/strict";
import { ANNOTATION_LIMITS, parseAnnotatedMessages } from "../../../src/core/nlu/annotated-messages";

describe("annotated messages (the tagger's training file)", () => {
  it("reads one message a line with its entities, keeping only type and offsets", () => {
    const parsed = parseAnnotatedMessages(
      [
        JSON.stringify({ text: "2 Galaxy A16 pls", entities: [{ type: "product", start: 2, end: 12, text: "Galaxy A16", value: "x" }] }),
        "",
        JSON.stringify({ text: "ok thanks" }),
      ].join("\n"),
    );
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.messages, [
      { text: "2 Galaxy A16 pls", entities: [{ type: "product", start: 2, end: 12 }] },
      { text: "ok thanks", entities: [] },
    ]);
  });

  it("leaves out a whole line with a problem and names the line and the reason", () => {
    const parsed = parseAnnotatedMessages(
      [
        "{not json",
        JSON.stringify({ text: "  " }),
        JSON.stringify({ text: "hi Ana", entities: [{ type: "name", start: 3, end: 6 }] }),
        JSON.stringify({ text: "hi Ana", entities: [{ type: "person", start: 3, end: 9 }] }),
        JSON.stringify({ text: "hi Ana", entities: [{ type: "person", start: 3, end: 3 }] }),
        JSON.stringify({ text: "hi Ana", entities: [{ type: "person", start: 0, end: 2, text: "Ana" }] }),
        JSON.stringify({ text: "hi Ana", entities: "person" }),
        JSON.stringify({ text: "x".repeat(5000) }),
        JSON.stringify({ text: "hi Ana", entities: [{ type: "person", start: 3, end: 6 }] }),
      ].join("\n"),
    );
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.match(parsed.problems[0].reason, /not a JSON object/);
    assert.match(parsed.problems[2].reason, /unknown type "name"/);
    assert.match(parsed.problems[3].reason, /0 ≤ start < end ≤ 6/);
    assert.match(parsed.problems[5].reason, /the text from 0 to 2 is "hi", not "Ana"/);
    assert.match(parsed.problems[7].reason, /more than 4096 characters/);
    assert.deepEqual(parsed.messages, [{ text: "hi Ana", entities: [{ type: "person", start: 3, end: 6 }] }]);
  });

  it("stops at the message limit and says so", () => {
    const line = JSON.stringify({ text: "ok" });
    const parsed = parseAnnotatedMessages(Array.from({ length: ANNOTATION_LIMITS.maxMessages + 2 }, () => line).join("\n"));
    assert.equal(parsed.messages.length, ANNOTATION_LIMITS.maxMessages);
    assert.equal(parsed.problems.length, 2);
    assert.match(parsed.problems[0].reason, /more than 50000 messages/);
  });
});
