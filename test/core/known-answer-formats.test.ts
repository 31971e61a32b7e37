import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeWav16, probeAudio, wavSamples } from "../../src/core/media/speech/audio";
import { parseExamplesFile } from "../../src/core/nlu/training-data";
import { parseChatScriptJsonl } from "../../src/core/transport/simulator";

// Every expected value here was produced outside the pack: by opusinfo (opus-tools), Python's wave, struct and csv
// modules, espeak-ng, or written by hand. test/fixtures/known-answers/README.md says how each file was made.
const KNOWN = join(__dirname, "..", "fixtures", "known-answers");
const VOICE = join(__dirname, "..", "fixtures", "voice");
const read = (folder: string, name: string) => new Uint8Array(readFileSync(join(folder, name)));

describe("known answers for the formats the pack reads and writes", () => {
  describe("Ogg/Opus voice notes: what opusinfo says of each", () => {
    // opusinfo (opus-tools 0.2): "Channels", "Playback length".
    const OPUSINFO: [string, number][] = [
      ["cancel-my-order.ogg", 1.606],
      ["ou-est-ma-commande.ogg", 1.351],
      ["send-me-the-invoice.ogg", 2.188],
      ["talk-to-a-person.ogg", 1.606],
      ["where-is-my-order.ogg", 1.484],
      ["where-is-my-refund.ogg", 1.543],
    ];
    for (const [file, seconds] of OPUSINFO) {
      it(`${file}: Opus, 1 channel, 48 kHz granules, ${seconds} s`, () => {
        const info = probeAudio(read(VOICE, file));
        assert.deepEqual([info.container, info.codec, info.channels, info.sampleRate], ["ogg", "opus", 1, 48_000]);
        // opusinfo cuts the length to whole milliseconds.
        assert.equal(
          Math.floor(info.durationSeconds! * 1000),
          Math.round(seconds * 1000),
          `${info.durationSeconds} against opusinfo's ${seconds}`,
        );
      });
    }
  });

  describe("WAV", () => {
    it("espeak-ng's output: the header Python's wave module reads, and the same samples", () => {
      // wave: 1 channel, 2-byte samples, 22050 Hz, 22070 frames; struct: the first non-zero sample is at
      // index 309 (33, 0, 33, 133 from there); the largest is 17219 at index 2422.
      const data = read(KNOWN, "espeak-hello.wav");
      const info = probeAudio(data);
      assert.deepEqual([info.container, info.codec, info.channels, info.sampleRate], ["wav", "pcm", 1, 22_050]);
      assert.equal(info.durationSeconds, 22_070 / 22_050);
      const { samples, sampleRate } = wavSamples(data);
      assert.equal(sampleRate, 22_050);
      assert.equal(samples.length, 22_070);
      assert.equal(
        samples.findIndex((s) => s !== 0),
        309,
      );
      assert.deepEqual(
        [...samples.subarray(309, 313)].map((s) => Math.round(s * 32768)),
        [33, 0, 33, 133],
      );
      const largest = samples.reduce((best, s, i) => (s > samples[best] ? i : best), 0);
      assert.deepEqual([largest, Math.round(samples[largest] * 32768)], [2422, 17_219]);
    });

    it("16-bit stereo written by Python's wave module: frames mixed down to one channel", () => {
      // Frames (1000, 3000), (-32768, 32767), (0, -2) at 8000 Hz.
      const data = read(KNOWN, "python-stereo16.wav");
      assert.deepEqual(probeAudio(data), { container: "wav", codec: "pcm", channels: 2, sampleRate: 8000, durationSeconds: 3 / 8000 });
      assert.deepEqual([...wavSamples(data).samples], [2000 / 32768, -1 / 65536, -1 / 32768]);
    });

    it("8-bit mono written by Python's wave module: unsigned samples around 128", () => {
      // Bytes 128, 255, 0, 64 at 11025 Hz.
      const data = read(KNOWN, "python-mono8.wav");
      assert.deepEqual(probeAudio(data), { container: "wav", codec: "pcm", channels: 1, sampleRate: 11_025, durationSeconds: 4 / 11_025 });
      assert.deepEqual([...wavSamples(data).samples], [0, 127 / 128, -1, -0.5]);
    });

    it("32-bit float mono (format 3) packed with Python's struct", () => {
      // struct.pack('<2f', 0.25, -1.0) behind a 16-byte fmt chunk of format 3, 8000 Hz.
      const data = read(KNOWN, "python-float32.wav");
      assert.deepEqual(probeAudio(data), { container: "wav", codec: "float", channels: 1, sampleRate: 8000, durationSeconds: 2 / 8000 });
      assert.deepEqual([...wavSamples(data).samples], [0.25, -1]);
    });

    it("writes 16-bit mono byte for byte as Python's wave module does", () => {
      // wave.open(..., "wb"): 1 channel, 2 bytes, 16000 Hz, frames 0, 16384, -32767, 32767.
      const expected = "524946462c00000057415645666d74201000000001000100803e0000007d0000020010006461746108000000000000400180ff7f";
      assert.equal(Buffer.from(read(KNOWN, "python-mono16-written.wav")).toString("hex"), expected);
      const written = encodeWav16(Float32Array.of(0, 16_384 / 32_767, -1, 1), 16_000);
      assert.equal(Buffer.from(written).toString("hex"), expected);
    });
  });

  it("a training CSV written by Python's csv module: quotes, doubled quotes, a line break in a field, CRLF rows", () => {
    const parsed = parseExamplesFile("python-training.csv", readFileSync(join(KNOWN, "python-training.csv"), "utf8"));
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.examples, [
      { text: "where is my order, please?", label: "order_status" },
      { text: 'he said "cancel it"\nnow', label: "cancel" },
      { text: "  olá, cadê meu pedido  ", label: "order_status" },
      { text: "refund;50€", label: "refund" },
    ]);
  });

  it("a chat script written by hand: CRLF lines, a blank line, a group with media, a message sent before the one ahead of it", () => {
    const script = parseChatScriptJsonl(readFileSync(join(KNOWN, "hand-written-script.jsonl"), "utf8"), "hand-written-script.jsonl");
    assert.equal(script.name, "hand-written-script.jsonl");
    const [shop, team] = script.conversations;
    assert.deepEqual(
      shop.messages.map((m) => [m.from, m.author, m.body, m.type, m.offsetMs, m.sentOffsetMs, m.sourceId]),
      [
        ["447700900123@c.us", undefined, "Olá! Têm pão sem glúten?", "chat", 0, undefined, "A1"],
        ["447700900123@c.us", undefined, "e entregam?", "chat", 30_000, undefined, undefined],
      ],
    );
    assert.deepEqual(
      [shop.id, shop.chatId, shop.isGroup, team.id, team.chatId, team.isGroup],
      ["shop-1", "447700900123@c.us", false, "team", "120363041234567890@g.us", true],
    );
    assert.deepEqual(
      team.messages.map((m) => [m.author, m.type, m.media?.mimetype, m.media?.filename, m.offsetMs, m.sentOffsetMs]),
      [
        ["447700900666@c.us", "chat", undefined, undefined, 0, undefined],
        ["447700900555@c.us", "image", "image/jpeg", "receipt.jpg", 100_000, undefined],
        // Sent 10 s before the receipt but next in the file: delivered right after it, its sending time kept.
        ["447700900666@c.us", "chat", undefined, undefined, 100_000, 90_000],
      ],
    );
  });
});
