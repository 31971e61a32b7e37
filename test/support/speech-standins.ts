// Loopback stand-ins for the speech services wa-transcribe calls, answering as the real APIs do:
// Google's OAuth token endpoint and Speech-to-Text v1 speech:recognize (with its one-minute and 10 MB
// limits for inline audio), and an OpenAI-compatible /audio/transcriptions (multipart upload,
// verbose_json). Transcripts come from a table keyed by the audio's SHA-256, so a test decides what
// "was said"; Google's also hears "tone words" in 16-bit WAV: each burst of a sine tone is the word the
// test gave its pitch, with the burst's times, so what is cut between requests shows in the answer.
import { createHash, createVerify, generateKeyPairSync } from "node:crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

export interface StandIn {
  url: string;
  requests: { path: string; body: unknown; headers: IncomingMessage["headers"] }[];
  /** Status codes to answer with, one per request, before answering normally. */
  failNext: number[];
  /** Requests are held without an answer while this is true (a hung service). */
  hang: boolean;
  close(): Promise<void>;
}

export const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(value));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const GOOGLE_STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

/** A service-account key whose public half the Google stand-in trusts. */
export function makeServiceAccountKey(tokenUri: string): { key: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return {
    key: JSON.stringify({
      type: "service_account",
      client_email: "speech@test.iam.gserviceaccount.com",
      private_key: privateKey,
      private_key_id: "k1",
      token_uri: tokenUri,
    }),
    publicKey,
  };
}

/** Seconds of audio Google would hear: from a WAV header, or an Ogg stream's last granule position (48 kHz). */
function secondsOf(audio: Buffer): number | undefined {
  if (audio.subarray(0, 4).toString("latin1") === "RIFF") {
    const byteRate = audio.readUInt32LE(28);
    const data = audio.indexOf("data", 12, "latin1");
    return data < 0 || byteRate === 0 ? undefined : audio.readUInt32LE(data + 4) / byteRate;
  }
  const last = audio.lastIndexOf("OggS", undefined, "latin1");
  return last < 0 ? undefined : Number(audio.readBigUInt64LE(last + 6)) / 48000;
}

/** Bursts of tone in 16-bit mono WAV: their start and end (s) and pitch (Hz, from zero crossings). */
function toneBursts(audio: Buffer): { start: number; end: number; hz: number }[] {
  const rate = audio.readUInt32LE(24);
  const data = audio.indexOf("data", 12, "latin1") + 8;
  const samples = new Int16Array(
    audio.buffer.slice(audio.byteOffset + data, audio.byteOffset + audio.length - ((audio.length - data) % 2)),
  );
  const frame = Math.round(rate * 0.01);
  const bursts: { start: number; end: number; hz: number }[] = [];
  let open: { from: number; crossings: number } | undefined;
  for (let at = 0; at + frame <= samples.length; at += frame) {
    let energy = 0;
    let crossings = 0;
    for (let i = at; i < at + frame; i++) {
      energy += (samples[i] / 32768) ** 2;
      if (i > at && samples[i - 1] < 0 !== samples[i] < 0) crossings += 1;
    }
    const loud = energy / frame > 0.01;
    if (loud && !open) open = { from: at, crossings: 0 };
    if (loud && open) open.crossings += crossings;
    if ((!loud || at + 2 * frame > samples.length) && open) {
      const end = loud ? at + frame : at;
      if (end - open.from >= rate * 0.1)
        bursts.push({ start: open.from / rate, end: end / rate, hz: open.crossings / 2 / ((end - open.from) / rate) });
      open = undefined;
    }
  }
  return bursts;
}

export async function startGoogleSpeechStandIn(
  transcripts: Map<string, { transcript: string; confidence: number }>,
  toneWords: Map<number, string> = new Map(),
): Promise<StandIn & { trust(publicKey: string): void; tokenUri: string }> {
  let trusted: string | undefined;
  const issued = new Set<string>();
  let tokenCounter = 0;
  const standIn = { requests: [], failNext: [], hang: false } as unknown as StandIn & { trust(publicKey: string): void; tokenUri: string };
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await body(req);
      const path = req.url ?? "";
      if (req.method === "POST" && path === "/token") {
        const form = new URLSearchParams(raw.toString("utf8"));
        const [head, claims, signature] = String(form.get("assertion") ?? "").split(".");
        const payload = JSON.parse(Buffer.from(claims ?? "", "base64url").toString("utf8") || "{}") as { scope?: string };
        const valid =
          trusted && signature && createVerify("RSA-SHA256").update(`${head}.${claims}`).verify(trusted, signature, "base64url");
        if (!valid) return json(res, 400, { error: "invalid_grant", error_description: "Invalid JWT Signature." });
        if (payload.scope !== "https://www.googleapis.com/auth/cloud-platform")
          return json(res, 400, { error: "invalid_scope", error_description: `scope ${payload.scope}` });
        const token = `ya29.standin-${++tokenCounter}`;
        issued.add(token);
        return json(res, 200, { access_token: token, expires_in: 3599, token_type: "Bearer" });
      }
      if (req.method !== "POST" || path !== "/v1/speech:recognize")
        return json(res, 404, { error: { code: 404, message: `Not found: ${path}`, status: "NOT_FOUND" } });
      let request: { config?: { encoding?: string; sampleRateHertz?: number; languageCode?: string }; audio?: { content?: string } } = {};
      try {
        request = JSON.parse(raw.toString("utf8")) as typeof request;
      } catch {
        return json(res, 400, { error: { code: 400, message: "Invalid JSON payload received.", status: "INVALID_ARGUMENT" } });
      }
      standIn.requests.push({ path, body: request, headers: req.headers });
      if (standIn.hang) return;
      const forced = standIn.failNext.shift();
      if (forced)
        return json(res, forced, {
          error: {
            code: forced,
            message: forced === 429 ? "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute'." : `Forced ${forced}`,
            status: GOOGLE_STATUS[forced] ?? "UNKNOWN",
          },
        });
      const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
      if (!issued.has(token))
        return json(res, 401, {
          error: {
            code: 401,
            message: "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            status: "UNAUTHENTICATED",
          },
        });
      if (!request.config?.languageCode)
        return json(res, 400, {
          error: { code: 400, message: "Invalid recognition 'config': missing language_code.", status: "INVALID_ARGUMENT" },
        });
      if (raw.length > 10 * 1024 * 1024)
        return json(res, 400, {
          error: { code: 400, message: "Request payload size exceeds the limit: 10485760 bytes.", status: "INVALID_ARGUMENT" },
        });
      const audio = Buffer.from(request.audio?.content ?? "", "base64");
      if ((secondsOf(audio) ?? 0) > 60)
        return json(res, 400, {
          error: {
            code: 400,
            message: "Sync input too long. For audio longer than 1 min use LongRunningRecognize with a 'uri' parameter.",
            status: "INVALID_ARGUMENT",
          },
        });
      if (
        request.config.encoding === "LINEAR16" &&
        (audio.subarray(0, 4).toString("latin1") !== "RIFF" ||
          audio.readUInt16LE(34) !== 16 ||
          audio.readUInt32LE(24) !== request.config.sampleRateHertz)
      ) {
        return json(res, 400, {
          error: {
            code: 400,
            message: "Invalid recognition 'config': the WAV header does not match LINEAR16 at the given sample rate.",
            status: "INVALID_ARGUMENT",
          },
        });
      }
      if (
        request.config.encoding === "OGG_OPUS" &&
        (audio.subarray(0, 4).toString("latin1") !== "OggS" ||
          ![8000, 12000, 16000, 24000, 48000].includes(request.config.sampleRateHertz ?? 0))
      ) {
        return json(res, 400, {
          error: {
            code: 400,
            message: "Invalid recognition 'config': bad encoding or sample rate for OGG_OPUS.",
            status: "INVALID_ARGUMENT",
          },
        });
      }
      const known = transcripts.get(sha256(audio));
      const tones = !known && request.config.encoding === "LINEAR16" && toneWords.size > 0 ? toneBursts(audio) : [];
      const nearestWord = (hz: number) => [...toneWords].sort((a, b) => Math.abs(a[0] - hz) - Math.abs(b[0] - hz))[0][1];
      if (tones.length > 0) {
        const words = tones.map((t) => ({
          startTime: `${t.start.toFixed(3)}s`,
          endTime: `${t.end.toFixed(3)}s`,
          word: nearestWord(t.hz),
          confidence: 0.9,
        }));
        return json(res, 200, {
          results: [
            {
              alternatives: [{ transcript: words.map((w) => w.word).join(" "), confidence: 0.9, words }],
              languageCode: request.config.languageCode.toLowerCase(),
            },
          ],
          totalBilledTime: "15s",
          requestId: "1",
        });
      }
      if (!known) return json(res, 200, { totalBilledTime: "15s", requestId: "1" }); // Google's answer when it heard nothing
      const words = known.transcript.split(" ").map((word, i) => ({
        startTime: `${(i * 0.4).toFixed(1)}s`,
        endTime: `${(i * 0.4 + 0.35).toFixed(1)}s`,
        word,
        confidence: known.confidence,
      }));
      return json(res, 200, {
        results: [
          {
            alternatives: [{ transcript: known.transcript, confidence: known.confidence, words }],
            resultEndTime: "1.900s",
            languageCode: request.config.languageCode.toLowerCase(),
          },
        ],
        totalBilledTime: "15s",
        requestId: "1",
      });
    })();
  });
  const url = await listen(server);
  return Object.assign(standIn, {
    url,
    tokenUri: `${url}/token`,
    trust(publicKey: string) {
      trusted = publicKey;
    },
    /** Forgets every issued token, as when Google revokes them. */
    revokeTokens() {
      issued.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

export async function startOpenAiStandIn(apiKey: string, transcripts: Map<string, string>): Promise<StandIn> {
  const standIn = { requests: [], failNext: [], hang: false } as unknown as StandIn;
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await body(req);
      const path = req.url ?? "";
      if (req.method !== "POST" || path !== "/v1/audio/transcriptions")
        return json(res, 404, {
          error: { message: `Invalid URL (${req.method} ${path})`, type: "invalid_request_error", param: null, code: null },
        });
      if (req.headers.authorization !== `Bearer ${apiKey}`)
        return json(res, 401, {
          error: { message: "Incorrect API key provided.", type: "invalid_request_error", param: null, code: "invalid_api_key" },
        });
      let form: FormData;
      try {
        form = await new Request("http://standin/", {
          method: "POST",
          headers: { "content-type": String(req.headers["content-type"] ?? "") },
          body: new Uint8Array(raw),
        }).formData();
      } catch {
        return json(res, 400, {
          error: { message: "Could not parse multipart form", type: "invalid_request_error", param: null, code: null },
        });
      }
      const file = form.get("file");
      standIn.requests.push({
        path,
        body: {
          model: form.get("model"),
          language: form.get("language"),
          format: form.get("response_format"),
          fileName: file instanceof Blob ? (file as File).name : undefined,
        },
        headers: req.headers,
      });
      if (standIn.hang) return;
      const forced = standIn.failNext.shift();
      if (forced)
        return json(res, forced, {
          error: {
            message: forced === 429 ? "Rate limit reached for requests" : `Forced ${forced}`,
            type: forced === 429 ? "requests" : "server_error",
            param: null,
            code: null,
          },
        });
      if (!(file instanceof Blob))
        return json(res, 400, {
          error: { message: "1 validation error: file field required", type: "invalid_request_error", param: "file", code: null },
        });
      if (!form.get("model"))
        return json(res, 400, {
          error: { message: "you must provide a model parameter", type: "invalid_request_error", param: "model", code: null },
        });
      const audio = new Uint8Array(await file.arrayBuffer());
      const text = transcripts.get(sha256(audio));
      if (text === undefined)
        return json(res, 400, {
          error: {
            message: "Audio file might be corrupted or unsupported",
            type: "invalid_request_error",
            param: "file",
            code: "invalid_value",
          },
        });
      const words = text.split(" ").map((word, i) => ({ word, start: i * 0.4, end: i * 0.4 + 0.35 }));
      return json(res, 200, {
        task: "transcribe",
        language: "english",
        duration: words.length * 0.4,
        text,
        words,
        segments: [{ id: 0, start: 0, end: words.length * 0.4, text, avg_logprob: -0.15, no_speech_prob: 0.01 }],
      });
    })();
  });
  const url = await listen(server);
  return Object.assign(standIn, {
    url: `${url}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
