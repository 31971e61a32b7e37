import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readGaussianTable } from "../../src/core/media/speech/acoustic-adaptation";
import { wordErrors } from "../../src/core/media/speech/speech";
import { encodeWav16 } from "../../src/core/media/speech/audio";
import { systemClock } from "../../src/core/clock";
import { startAudioSplitThread } from "../../src/core/media/speech/audio-splitting";
import { CLOUD_PLATFORM_SCOPE, ServiceAccountTokens, readServiceAccountKey } from "../../src/core/sheets/service-account";
import { googleSpeechWorker } from "../../src/core/media/speech/speech-cloud";
import transcribeNode from "../../src/nodes/wa-transcribe";
import { makeServiceAccountKey, sha256, startGoogleSpeechStandIn, startOpenAiStandIn } from "../support/speech-standins";
import { catchNode, collect, envelope, getNode, helper, helperNode, inTab, untilReal, useNodeHarness } from "./harness";
import { requirePrerequisite } from "../support/prerequisite";

const VOICE = join(__dirname, "..", "fixtures", "voice");
const FSDD = join(__dirname, "..", "..", "..", "shared", "data", "audio", "fsdd");
const note = (name: string) => readFileSync(join(VOICE, `${name}.ogg`));

type Transcript = {
  text: string;
  confidence?: number;
  words: { text: string; start: number; end: number }[];
  language: string;
  engine: string;
  durationSeconds?: number;
  digits?: string;
};
const transcriptOf = (msg: Record<string, unknown>) =>
  ((msg.wa as { media?: { transcript?: Transcript } } | undefined)?.media?.transcript ?? msg.transcript) as Transcript;
const errorText = (msg: Record<string, unknown>) => (msg.error as { message: string }).message;

/** A WAV header and silence: `seconds` long at 8 kHz, 8-bit. */
function silentWav(seconds: number): Buffer {
  const frames = Math.round(seconds * 8000);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + frames, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(frames, 40);
  return Buffer.concat([header, Buffer.alloc(frames, 128)]);
}

describe("wa-transcribe node", function () {
  this.timeout(60_000);
  const harness = useNodeHarness();
  async function load(props: Record<string, unknown>, credentials: Record<string, unknown> = {}) {
    await helper.load(
      transcribeNode,
      inTab([
        {
          id: "t1",
          type: "wa-transcribe",
          engine: "offline",
          language: "en-US",
          grammar: "phrases",
          phrases: "where is my order\ntalk to a person\ncancel my order",
          poolSize: 1,
          timeoutSeconds: 30,
          maxSeconds: 120,
          maxMegabytes: 1,
          useAsText: true,
          wires: [["out"]],
          ...props,
        },
        helperNode("out"),
        catchNode(),
        helperNode("errors"),
      ]),
      { t1: credentials },
    );
  }

  it("hears a voice note offline (real engine in a worker thread) and hands the words on as the message text", async () => {
    await load({});
    const out = collect("out");
    const msg = envelope("447700900123@c.us", "");
    (msg.wa as { message: { media?: unknown; text?: string } }).message.media = {
      mimetype: "audio/ogg; codecs=opus",
      data: note("where-is-my-order"),
    };
    getNode("t1").receive(msg);
    const plain = { payload: note("talk-to-a-person") };
    getNode("t1").receive(plain);
    await untilReal(() => out.length === 2, 45_000);
    const first = transcriptOf(out[0]);
    assert.equal(first.text, "where is my order");
    assert.equal(first.engine, "offline");
    assert.deepEqual(
      first.words.map((w) => w.text),
      ["where", "is", "my", "order"],
    );
    assert.ok(
      first.words.every((w, i) => w.end > w.start && (i === 0 || w.start >= first.words[i - 1].start)),
      "word times ascend",
    );
    assert.ok((first.confidence ?? 0) > 0.5 && (first.confidence ?? 0) <= 1);
    assert.ok((first.durationSeconds ?? 0) > 0.5 && (first.durationSeconds ?? 0) < 3, String(first.durationSeconds));
    assert.equal((out[0].wa as { message: { text: string } }).message.text, "where is my order", "the transcript became the message text");
    assert.equal(transcriptOf(out[1]).text, "talk to a person", "a bare Buffer payload gets msg.transcript");
  });

  it("hears French with the French model, accents kept in the phrases", async () => {
    await load({ language: "fr-FR", phrases: "où est ma commande\nje veux parler à quelqu'un\nannuler ma commande" });
    const out = collect("out");
    getNode("t1").receive({ payload: note("ou-est-ma-commande") });
    await untilReal(() => out.length === 1, 45_000);
    assert.equal(transcriptOf(out[0]).text, "où est ma commande");
    assert.equal(transcriptOf(out[0]).language, "fr-FR");
  });

  it("warns about words its dictionary lacks and refuses what is not a voice note, too long or too large", async () => {
    await load({ grammar: "words", phrases: "cancel my order\nzzqxv" });
    const errors = collect("errors");
    const out = collect("out");
    getNode("t1").receive({ payload: note("cancel-my-order") });
    await untilReal(() => out.length === 1, 45_000);
    assert.equal(transcriptOf(out[0]).text, "cancel my order");
    const warnings = getNode("t1")
      .warn.getCalls()
      .map((c) => String(c.args[0]));
    assert.ok(
      warnings.some((w) => /zzqxv/.test(w)),
      warnings.join(" | "),
    );
    getNode("t1").receive({ payload: Buffer.from("%PDF-1.7 not audio") });
    getNode("t1").receive({ payload: silentWav(130) });
    getNode("t1").receive({ payload: Buffer.alloc(2 * 1024 * 1024) });
    getNode("t1").receive({ payload: note("cancel-my-order").subarray(0, 1500) });
    // An Ogg stream that holds no Opus packets the decoder can use.
    const page = note("cancel-my-order");
    getNode("t1").receive({ payload: Buffer.concat([page.subarray(0, 47), Buffer.alloc(0)]) });
    await untilReal(() => errors.length === 5, 45_000);
    const texts = errors.map(errorText);
    assert.match(texts[0], /not an Ogg, WAV/);
    assert.match(texts[1], /lasts 130\.0 s; the limit is 120 s/);
    assert.match(texts[2], /limit is 1048576/);
    assert.match(texts[3], /truncated Ogg page/);
    assert.match(texts[4], /could not be read/);
  });

  it("sends the note to Google Speech-to-Text (loopback stand-in) with a service account's token, renewing it after a 401", async () => {
    const audio = note("where-is-my-order");
    const google = await startGoogleSpeechStandIn(new Map([[sha256(audio), { transcript: "where is my order", confidence: 0.92 }]]));
    try {
      const { key, publicKey } = makeServiceAccountKey(google.tokenUri);
      google.trust(publicKey);
      await load({ engine: "google", language: "pt-BR", endpoint: google.url, maxSeconds: 60, maxMegabytes: 10 }, { googleKey: key });
      const out = collect("out");
      const errors = collect("errors");
      getNode("t1").receive({ payload: audio });
      await untilReal(() => out.length === 1, 20_000);
      const heard = transcriptOf(out[0]);
      assert.equal(heard.text, "where is my order");
      assert.equal(heard.confidence, 0.92);
      assert.equal(heard.language, "pt-br");
      assert.equal(heard.words.length, 4);
      const sent = google.requests[0].body as { config: { encoding: string; sampleRateHertz: number; languageCode: string } };
      assert.deepEqual([sent.config.encoding, sent.config.sampleRateHertz, sent.config.languageCode], ["OGG_OPUS", 48000, "pt-BR"]);
      (google as unknown as { revokeTokens(): void }).revokeTokens();
      getNode("t1").receive({ payload: audio });
      await untilReal(() => out.length === 2, 20_000);
      google.failNext.push(429);
      getNode("t1").receive({ payload: audio });
      await untilReal(() => errors.length === 1, 20_000);
      assert.match(errorText(errors[0]), /Google Speech-to-Text answered 429: Quota exceeded/);
    } finally {
      await google.close();
    }
  });

  it("recognises a note longer than Google's one-minute request in pieces cut at pauses, keeping every word and its time", async () => {
    const pitches = new Map([
      [300, "one"],
      [500, "two"],
      [700, "three"],
      [900, "four"],
      [1100, "five"],
    ]);
    const rate = 16000;
    const [burst, pause, count] = [1.2, 2.0, 40];
    const samples = new Float32Array(Math.round(count * (burst + pause) * rate));
    for (let i = 0; i < samples.length; i++) {
      const word = Math.floor(i / ((burst + pause) * rate));
      const inBurst = i - word * (burst + pause) * rate < burst * rate;
      samples[i] = inBurst ? 0.5 * Math.sin((2 * Math.PI * [...pitches.keys()][word % 5] * i) / rate) : 0.001 * Math.sin(i);
    }
    const google = await startGoogleSpeechStandIn(new Map(), pitches);
    try {
      const { key, publicKey } = makeServiceAccountKey(google.tokenUri);
      google.trust(publicKey);
      await load({ engine: "google", language: "en-US", endpoint: google.url, maxSeconds: 300, maxMegabytes: 10 }, { googleKey: key });
      const out = collect("out");
      const errors = collect("errors");
      getNode("t1").receive({ payload: Buffer.from(encodeWav16(samples, rate)) });
      await untilReal(() => out.length + errors.length === 1, 30_000);
      assert.equal(errors.length, 0, errors.map(errorText).join());
      const heard = transcriptOf(out[0]);
      const expected = Array.from({ length: count }, (_, i) => [...pitches.values()][i % 5]);
      assert.equal(heard.text, expected.join(" "), "no word lost, split or repeated where the note was cut");
      heard.words.forEach((word, i) => assert.ok(Math.abs(word.start - i * (burst + pause)) < 0.05, `word ${i} starts at ${word.start}`));
      assert.equal(heard.durationSeconds, count * (burst + pause));
      assert.equal(google.requests.length, 3);
      for (const request of google.requests) {
        const sent = request.body as { config: { encoding: string; sampleRateHertz: number }; audio: { content: string } };
        assert.deepEqual([sent.config.encoding, sent.config.sampleRateHertz], ["LINEAR16", 16000]);
        assert.ok((Buffer.from(sent.audio.content, "base64").length - 44) / 2 / 16000 <= 55);
      }
    } finally {
      await google.close();
    }
  });

  it("decodes a long Ogg/Opus note in a thread and sends it as WAV pieces (real decoder, short pieces)", async () => {
    const audio = note("where-is-my-order");
    const google = await startGoogleSpeechStandIn(new Map());
    const { key, publicKey } = makeServiceAccountKey(google.tokenUri);
    google.trust(publicKey);
    const tokens = new ServiceAccountTokens(readServiceAccountKey(key), systemClock, fetch, CLOUD_PLATFORM_SCOPE);
    const worker = googleSpeechWorker({ endpoint: google.url, timeoutMs: 20_000 }, tokens, {
      syncSeconds: 0.5,
      syncBytes: 10 * 1024 * 1024,
      startSplitter: () => startAudioSplitThread({ sampleRate: 16000, maxSeconds: 0.5 }),
    });
    try {
      const heard = await worker.run({ audio, container: "ogg", language: "en-US", durationSeconds: 1.5 });
      const seconds = google.requests.map(
        (r) => (Buffer.from((r.body as { audio: { content: string } }).audio.content, "base64").length - 44) / 2 / 16000,
      );
      assert.ok(seconds.length >= 3 && seconds.every((s) => s > 0 && s <= 0.5), seconds.join());
      assert.ok(Math.abs(seconds.reduce((a, b) => a + b, 0) - (heard.durationSeconds ?? 0)) < 0.01, "the pieces add up to the whole note");
      assert.equal(heard.text, "", "Google heard nothing it knows in them");
    } finally {
      await worker.terminate();
      await google.close();
    }
  });

  it("refuses a bad service-account key at deploy, with a reason on the status", async () => {
    await load({ engine: "google", maxSeconds: 60, maxMegabytes: 10 }, { googleKey: "{not json" });
    const texts = getNode("t1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /not JSON/.test(t)),
      texts.join(" | "),
    );
  });

  it("posts the note to an OpenAI-compatible endpoint (loopback stand-in) and reports its refusals", async () => {
    const audio = note("talk-to-a-person");
    const openai = await startOpenAiStandIn("sk-test", new Map([[sha256(audio), "Talk to a person."]]));
    try {
      await load({ engine: "openai", endpoint: openai.url, model: "whisper-1" }, { apiKey: "sk-test" });
      const out = collect("out");
      const errors = collect("errors");
      getNode("t1").receive({ payload: audio });
      await untilReal(() => out.length === 1, 20_000);
      const heard = transcriptOf(out[0]);
      assert.equal(heard.text, "Talk to a person.");
      assert.equal(heard.language, "english");
      assert.ok(Math.abs((heard.confidence ?? 0) - Math.exp(-0.15)) < 0.001);
      assert.deepEqual(openai.requests[0].body, { model: "whisper-1", language: "en", format: "verbose_json", fileName: "voice.ogg" });
      getNode("t1").receive({ payload: note("cancel-my-order") });
      await untilReal(() => errors.length === 1, 20_000);
      assert.match(errorText(errors[0]), /answered 400: Audio file might be corrupted/);
      await helper.unload();
      await load({ engine: "openai", endpoint: openai.url }, { apiKey: "sk-wrong" });
      const refused = collect("errors");
      getNode("t1").receive({ payload: audio });
      await untilReal(() => refused.length === 1, 20_000);
      assert.match(errorText(refused[0]), /answered 401: Incorrect API key/);
    } finally {
      await openai.close();
    }
  });

  it("fails a note the service never answers once the time limit passes (fake clock)", async () => {
    const openai = await startOpenAiStandIn("sk-test", new Map());
    openai.hang = true;
    try {
      await load({ engine: "openai", endpoint: openai.url, timeoutSeconds: 5 }, { apiKey: "sk-test" });
      const errors = collect("errors");
      getNode("t1").receive({ payload: note("talk-to-a-person") });
      await untilReal(() => openai.requests.length === 1, 20_000);
      await harness.clock().advanceAsync(5_001);
      await untilReal(() => errors.length === 1, 20_000);
      assert.match(errorText(errors[0]), /took longer than 5 s/);
    } finally {
      await openai.close();
    }
  });

  it("says at deploy what the offline engine cannot do", async () => {
    await load({ language: "pt-BR" });
    let texts = getNode("t1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /offline engine has US English/.test(t)),
      texts.join(" | "),
    );
    await helper.unload();
    await load({ grammar: "phrases", phrases: "# only a comment" });
    texts = getNode("t1")
      .status.getCalls()
      .map((call) => String((call.args[0] as { text?: string }).text));
    assert.ok(
      texts.some((t) => /at least one phrase/.test(t)),
      texts.join(" | "),
    );
  });

  describe("adapting the offline model to the callers' voices", () => {
    let userDir: string;
    beforeEach(() => {
      userDir = mkdtempSync(join(tmpdir(), "wa-transcribe-adapt-"));
      helper.settings({ userDir });
    });
    afterEach(() => {
      helper.settings({});
      rmSync(userDir, { recursive: true, force: true });
    });
    const statusTexts = () =>
      getNode("t1")
        .status.getCalls()
        .map((call) => String((call.args[0] as { text?: string }).text));
    const adaptedFiles = () => readdirSync(join(userDir, "wa-pipeline", "speech-adaptation")).filter((f) => f.endsWith(".means"));

    it("adapts at deploy to the listed recordings, names those it leaves out, hears with the adapted model and reuses it on redeploy", async () => {
      mkdirSync(join(userDir, "voices"));
      for (const name of ["where-is-my-order", "talk-to-a-person", "cancel-my-order"])
        copyFileSync(join(VOICE, `${name}.ogg`), join(userDir, "voices", `${name}.ogg`));
      copyFileSync(join(VOICE, "ou-est-ma-commande.ogg"), join(userDir, "voices", "strange.ogg"));
      copyFileSync(join(VOICE, "cancel-my-order.ogg"), join(userDir, "outside.ogg"));
      const list = [
        "file,text",
        "where-is-my-order.ogg,where is my order",
        "talk-to-a-person.ogg,Talk to a person!",
        "cancel-my-order.ogg,cancel my order",
        "../outside.ogg,cancel my order",
        "missing.ogg,cancel my order",
        "strange.ogg,zzqxv blorf",
      ];
      writeFileSync(join(userDir, "voices", "list.csv"), list.join("\n"));
      // An adapted model of a list that changed two months ago, and one another node used yesterday.
      const cache = join(userDir, "wa-pipeline", "speech-adaptation");
      mkdirSync(cache, { recursive: true });
      for (const [name, days] of [
        ["en-us-old.means", 60],
        ["en-us-old.means.json", 60],
        ["en-us-recent.means", 1],
        ["en-us-recent.means.json", 1],
      ] as const) {
        writeFileSync(join(cache, name), "x");
        const at = new Date(Date.now() - days * 86_400_000);
        utimesSync(join(cache, name), at, at);
      }
      await load({ adaptList: "voices/list.csv" });
      await untilReal(() => statusTexts().some((t) => /adapted to/.test(t)), 45_000);
      assert.ok(
        statusTexts().some((t) => /adapting to 4 recordings/.test(t)),
        statusTexts().join(" | "),
      );
      assert.ok(
        statusTexts().some((t) => /ready \(offline, en-US, adapted to 3 recordings\)/.test(t)),
        statusTexts().join(" | "),
      );
      const warnings = getNode("t1")
        .warn.getCalls()
        .map((c) => String(c.args[0]));
      const warning = warnings.find((w) => /3 recordings left out/.test(w)) ?? warnings.join(" | ");
      assert.match(warning, /\.\.\/outside\.ogg \(outside the list's folder\)/);
      assert.match(warning, /missing\.ogg \(ENOENT/);
      assert.match(warning, /strange\.ogg \(not in the dictionary: zzqxv, blorf\)/);

      assert.deepEqual(
        readdirSync(cache)
          .filter((f) => f.includes("-old") || f.includes("-recent"))
          .sort(),
        ["en-us-recent.means", "en-us-recent.means.json"],
        "unused for a month: removed",
      );
      const [file] = adaptedFiles().filter((f) => f !== "en-us-recent.means");
      const base = readGaussianTable(
        new Uint8Array(readFileSync(join(dirname(require.resolve("soundswallower")), "model", "en-us", "means"))),
      );
      const adapted = readGaussianTable(new Uint8Array(readFileSync(join(userDir, "wa-pipeline", "speech-adaptation", file))));
      const moved = adapted.values.filter((v, i) => Math.abs(v - base.values[i]) > 1e-3).length;
      assert.ok(
        moved > 1000 && moved < base.values.length / 2,
        `${moved} of ${base.values.length} mean values moved: those the recordings' sounds fall in`,
      );

      const out = collect("out");
      getNode("t1").receive({ payload: note("talk-to-a-person") });
      await untilReal(() => out.length === 1, 45_000);
      assert.equal(transcriptOf(out[0]).text, "talk to a person");

      const written = statSync(join(userDir, "wa-pipeline", "speech-adaptation", file));
      await helper.unload();
      await load({ adaptList: "voices/list.csv" });
      await untilReal(() => statusTexts().some((t) => /adapted to 3 recordings/.test(t)), 45_000);
      assert.ok(
        getNode("t1")
          .warn.getCalls()
          .some((c) => /3 recordings left out/.test(String(c.args[0]))),
        "the recordings left out are named again",
      );
      assert.deepEqual(
        adaptedFiles().filter((f) => f !== "en-us-recent.means"),
        [file],
        "the same recordings name the same file",
      );
      const reused = statSync(join(userDir, "wa-pipeline", "speech-adaptation", file));
      assert.equal(reused.ino, written.ino, "it was reused, not written again (a new file would have come by rename)");
      assert.ok(reused.mtimeMs >= written.mtimeMs, "and marked as used");
    });

    it("hears spoken digits better once adapted to their speakers' other recordings (FSDD, when the shared data is here)", async function () {
      requirePrerequisite(this, existsSync(FSDD), "../shared/data/audio is not beside this checkout");
      // Adapt on takes 10-14 of both speakers through FSDD's own manifest; recognise takes 5-6, never adapted on.
      const rows = readFileSync(join(FSDD, "manifest.csv"), "utf8").trim().split("\n");
      const take = (row: string) => Number(row.split(",")[4]);
      mkdirSync(join(userDir, "fsdd"));
      const adaptOn = rows.slice(1).filter((row) => take(row) >= 10);
      for (const row of adaptOn) copyFileSync(join(FSDD, row.split(",")[0]), join(userDir, "fsdd", row.split(",")[0]));
      writeFileSync(join(userDir, "fsdd", "manifest.csv"), [rows[0], ...adaptOn].join("\n"));
      const test = rows
        .slice(1)
        .filter((row) => take(row) <= 6)
        .map((row) => ({ file: row.split(",")[0], text: row.split(",")[2] }));
      const errorsWith = async (props: Record<string, unknown>) => {
        await load({ grammar: "digits", phrases: "", ...props });
        const out = collect("out");
        for (const { file } of test) getNode("t1").receive({ payload: readFileSync(join(FSDD, file)) });
        await untilReal(() => out.length === test.length, 60_000);
        const errors = test.reduce((sum, { text }, i) => sum + wordErrors(text, transcriptOf(out[i]).text).errors, 0);
        await helper.unload();
        return errors;
      };
      const unadapted = await errorsWith({});
      const adapted = await errorsWith({ adaptList: "fsdd/manifest.csv" });
      assert.ok(adapted <= 0.1 * test.length, `${adapted} errors in ${test.length} digits adapted (${unadapted} unadapted)`);
      assert.ok(adapted < unadapted, `${adapted} errors adapted, ${unadapted} unadapted`);
    });

    it("fails with the reason when no listed recording can be used, and so does each voice note", async () => {
      mkdirSync(join(userDir, "voices"));
      writeFileSync(join(userDir, "voices", "list.csv"), "gone.ogg,cancel my order\n");
      await load({ adaptList: "voices/list.csv" });
      const errors = collect("errors");
      await untilReal(() => statusTexts().some((t) => /adaptation failed/.test(t)), 45_000);
      const logged = getNode("t1")
        .error.getCalls()
        .map((c) => String(c.args[0]));
      assert.ok(
        logged.some((e) => /lists no recording that could be read \(gone\.ogg: ENOENT/.test(e)),
        logged.join(" | "),
      );
      getNode("t1").receive({ payload: note("cancel-my-order") });
      await untilReal(() => errors.length === 1, 45_000);
      assert.match(errorText(errors[0]), /Adapt to voices: voices\/list\.csv lists no recording/);
    });
  });
});
