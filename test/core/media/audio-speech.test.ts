import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  StreamingResampler,
  concatSamples,
  encodeWav16,
  padWithBackground,
  probeAudio,
  resample,
  sniffAudio,
  splitAtPauses,
  wavSamples,
} from "../../../src/core/media/speech/audio";
import { buildGrammar, parsePhraseList, spokenDigits, transcriptFromAlignment, wordErrors } from "../../../src/core/media/speech/speech";

const voice = readFileSync(join(__dirname, "..", "..", "fixtures", "voice", "where-is-my-order.ogg"));

function wav16(samples: number[], rate: number, channels = 1): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(s * 32767), i * 2));
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2 * channels, 28);
  header.writeUInt16LE(2 * channels, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

describe("audio headers and samples", () => {
  it("reads an Ogg/Opus voice note's length from its last granule position, without decoding", () => {
    const info = probeAudio(voice);
    assert.equal(info.container, "ogg");
    assert.equal(info.codec, "opus");
    assert.equal(info.channels, 1);
    assert.ok(info.durationSeconds! > 0.8 && info.durationSeconds! < 2, String(info.durationSeconds));
  });

  it("refuses truncated or foreign bytes with a reason, and knows other containers by their magic", () => {
    assert.throws(() => probeAudio(voice.subarray(0, 100)), /truncated Ogg page/);
    assert.throws(() => probeAudio(Buffer.concat([voice.subarray(0, 60), Buffer.from("garbage")])), /broken Ogg page|truncated/);
    assert.throws(() => probeAudio(Buffer.from("hello")), /not an Ogg, WAV/);
    assert.equal(sniffAudio(Buffer.from("ID3\x04\x00", "latin1")), "mp3");
    assert.equal(sniffAudio(Buffer.from("\x00\x00\x00\x18ftypM4A ", "latin1")), "mp4");
    assert.equal(sniffAudio(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0])), "webm");
  });

  it("mixes WAV channels down and reads the length; refuses compressed WAV", () => {
    const stereo = wav16([0.5, -0.5, 0.25, 0.25], 8000, 2);
    assert.equal(probeAudio(stereo).durationSeconds, 2 / 8000);
    const { samples } = wavSamples(stereo);
    assert.deepEqual(
      Array.from(samples).map((s) => Math.round(s * 100) / 100),
      [0, 0.25],
    );
    const adpcm = wav16([0, 0], 8000);
    adpcm.writeUInt16LE(2, 20);
    assert.throws(() => probeAudio(adpcm), /WAV format 2/);
  });

  it("resamples piece by piece to exactly what resampling the whole gives, for any piece sizes and rates", () => {
    const input = Float32Array.from({ length: 48_000 + 17 }, (_, i) => Math.sin(i * 0.01) + 0.3 * Math.sin(i * 0.37));
    for (const [from, to] of [
      [48_000, 16_000],
      [48_000, 8000],
      [8000, 16_000],
      [44_100, 16_000],
      [16_000, 16_000],
    ]) {
      const whole = resample(input, from, to);
      const resampler = new StreamingResampler(from, to);
      const pieces: Float32Array[] = [];
      const sizes = [1, 7, 960, 4000, 33, 12_345];
      for (let at = 0, k = 0; at < input.length; at += sizes[k % sizes.length], k++)
        pieces.push(resampler.push(input.subarray(at, at + sizes[k % sizes.length])));
      pieces.push(resampler.end());
      assert.deepEqual(concatSamples(pieces), whole, `${from} -> ${to}`);
    }
  });

  it("resamples 48 kHz to 8 kHz keeping a 1 kHz tone and removing a 6 kHz one (no aliasing)", () => {
    const tone = (hz: number) => Float32Array.from({ length: 48_000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 48_000));
    const rms = (x: Float32Array) => Math.sqrt(x.slice(200, -200).reduce((s, v) => s + v * v, 0) / (x.length - 400));
    assert.equal(resample(tone(1000), 48_000, 8000).length, 8000);
    assert.ok(Math.abs(rms(resample(tone(1000), 48_000, 8000)) - 0.3536) < 0.01);
    assert.ok(rms(resample(tone(6000), 48_000, 8000)) < 0.02);
  });

  it("pads speech with the recording's own quietest frame", () => {
    const speech = Float32Array.from({ length: 800 }, (_, i) => (i < 80 ? 0.001 : 0.5));
    const padded = padWithBackground(speech, 8000, 0.1);
    assert.equal(padded.length, 800 + 1600);
    assert.ok(Math.max(...Array.from(padded.subarray(0, 800)).map(Math.abs)) < 0.0011);
    assert.equal(padded[800 + 400], 0.5);
  });
});

describe("speech grammars and scoring", () => {
  it("cuts a long recording in the pauses before each limit, never through a sound", () => {
    const rate = 1000;
    // 2.5 s of sound, then 0.5 s of near-silence, repeated: 30 s.
    const samples = Float32Array.from({ length: 30 * rate }, (_, i) =>
      i % (3 * rate) < 2.5 * rate ? Math.sin(i) * 0.5 : 0.001 * Math.sin(i * 7),
    );
    const pieces = splitAtPauses(samples, rate, 7, 4);
    assert.ok(pieces.length >= 5 && pieces.length <= 6, `${pieces.length} pieces`);
    assert.equal(pieces[0].start, 0);
    assert.equal(pieces[pieces.length - 1].end, samples.length);
    for (const [i, piece] of pieces.entries()) {
      assert.ok(piece.end - piece.start <= 7 * rate, "no piece over the limit");
      if (i > 0) assert.equal(piece.start, pieces[i - 1].end, "pieces follow each other");
      if (piece.end < samples.length) assert.ok(piece.end % (3 * rate) >= 2.5 * rate, `cut at ${piece.end} is in a pause`);
    }
    assert.deepEqual(splitAtPauses(samples.subarray(0, 5 * rate), rate, 7), [{ start: 0, end: 5 * rate }], "a short one stays whole");
  });

  it("writes 16-bit mono WAV that reads back as it was", () => {
    const samples = Float32Array.from({ length: 800 }, (_, i) => Math.sin(i / 10) * 0.8);
    const wav = encodeWav16(samples, 16000);
    assert.equal(probeAudio(wav).durationSeconds, 0.05);
    const back = wavSamples(wav);
    assert.equal(back.sampleRate, 16000);
    assert.ok(back.samples.every((v, i) => Math.abs(v - samples[i]) < 1e-4));
  });

  it("builds digit, phrase and word-loop grammars from a bounded, cleaned phrase list", () => {
    const phrases = parsePhraseList("Where is my order?\n# comment\n\nTalk to a person\nwhere is my order\nCafé");
    assert.deepEqual(phrases, ["where is my order", "talk to a person", "café"]);
    assert.match(buildGrammar("digits", []), /\( zero \| one .* nine \)\+/);
    assert.match(buildGrammar("phrases", phrases), /\( where is my order \| talk to a person \| café \) ;/);
    assert.match(buildGrammar("words", phrases), /\( where \| is \| my \| order \| talk \| to \| a \| person \| café \)\+/);
    assert.throws(() => buildGrammar("phrases", []), /at least one phrase/);
    assert.equal(
      parsePhraseList(
        Array.from({ length: 5000 }, (_, i) => `phrase ${i.toString(26).replace(/[0-9]/g, (d) => "qrstuvwxyz"[Number(d)])}`).join("\n"),
      ).length,
      2000,
    );
  });

  it("turns an alignment into words with times and confidence, leaving silence and noise out", () => {
    const t = transcriptFromAlignment(
      [
        { t: "(NULL)", b: 0, d: 0.01, p: 1 },
        { t: "four", b: 0.1, d: 0.3, p: 0.9 },
        { t: "<sil>", b: 0.4, d: 0.1, p: 1 },
        { t: "two(2)", b: 0.5, d: 0.3, p: 0.7 },
        { t: "[NOISE]", b: 0.8, d: 0.1, p: 1 },
      ],
      "en-US",
    );
    assert.equal(t.text, "four two");
    assert.equal(t.confidence, 0.8);
    assert.deepEqual(t.words[1], { text: "two", start: 0.5, end: 0.8, confidence: 0.7 });
    assert.equal(spokenDigits("four two seven"), "427");
  });

  it("counts word errors after normalising case, punctuation and digits", () => {
    assert.deepEqual(wordErrors("Four two 7", "four two seven"), { errors: 0, words: 3 });
    assert.deepEqual(wordErrors("where is my order", "where is order now"), { errors: 2, words: 4 });
    assert.deepEqual(wordErrors("", "noise"), { errors: 1, words: 0 });
  });
});
