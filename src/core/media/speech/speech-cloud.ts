import { createAPIRequest } from "googleapis-common";
import { WaError } from "../../errors";
import { EngineWorker } from "../engine-pool";
import { SpeechJob, TranscriptWord } from "./speech";
import type { AudioPieces } from "./audio-splitting";
import type { HeardSpeech } from "./speech-offline";

export interface BearerSource {
  header(): Promise<string>;
  invalidate(): void;
}

export interface CloudSpeechOptions {
  /** Root of the API: Google's https://speech.googleapis.com, or a regional or private endpoint. */
  endpoint: string;
  timeoutMs: number;
  model?: string;
}

/** Longer voice notes for Google's synchronous recognize (one minute at most) are cut at pauses into pieces. */
export interface LongAudioOptions {
  /** Notes up to this length and size go in one request. */
  syncSeconds: number;
  syncBytes: number;
  /** Starts the thread that decodes and cuts a long note (once, when the first long note comes). */
  startSplitter(): Promise<EngineWorker<SpeechJob, AudioPieces>>;
}

export type CloudSpeechJob = SpeechJob & { sampleRate?: number; durationSeconds?: number };

interface GoogleRecognizeResponse {
  results?: {
    alternatives?: {
      transcript?: string;
      confidence?: number;
      words?: { word?: string; startTime?: string; endTime?: string; confidence?: number }[];
    }[];
    languageCode?: string;
  }[];
}

interface HttpFailure {
  message?: string;
  status?: number;
  code?: string | number;
  response?: { status?: number; data?: unknown };
}

const seconds = (duration: string | undefined) => Number.parseFloat(String(duration ?? "0").replace(/s$/, "")) || 0;

/** What an API's error body says, in Google's ({error:{message}}) or OpenAI's shape. */
function reasonOf(body: unknown, fallback: string): string {
  const error = (body as { error?: { message?: unknown } | string } | undefined)?.error;
  const text = typeof error === "string" ? error : typeof error?.message === "string" ? error.message : fallback;
  return text.slice(0, 300);
}

function engineFailed(engine: string, status: number | string, reason: string): WaError {
  return new WaError("media.engineFailed", `${engine} answered ${status}: ${reason}`, { engine, status, reason });
}

/** Google's encoding names for what WhatsApp and phones send. */
function googleAudioConfig(job: SpeechJob & { sampleRate?: number }): Record<string, unknown> {
  if (job.container === "ogg")
    return {
      encoding: "OGG_OPUS",
      sampleRateHertz: [8000, 12000, 16000, 24000, 48000].includes(job.sampleRate ?? 0) ? job.sampleRate : 48000,
    };
  if (job.container === "wav") return {}; // Google reads the rate and encoding from the WAV header.
  if (job.container === "webm") return { encoding: "WEBM_OPUS", sampleRateHertz: 48000 };
  if (job.container === "mp3") return { encoding: "MP3" };
  throw new WaError("media.unreadable", `Google Speech-to-Text does not take ${job.container} audio`, {
    reason: `Google Speech-to-Text does not take ${job.container} audio`,
  });
}

/** One recognize answer as text, words (times from the start of what was sent) and confidences. */
function heardFrom(
  data: GoogleRecognizeResponse,
  offsetSeconds: number,
): { text: string; words: TranscriptWord[]; confidences: number[]; language?: string } {
  const best = (data.results ?? [])
    .map((r) => ({ alternative: r.alternatives?.[0], language: r.languageCode }))
    .filter((r) => r.alternative);
  return {
    text: best
      .map((r) => (r.alternative?.transcript ?? "").trim())
      .filter(Boolean)
      .join(" "),
    words: best.flatMap((r) =>
      (r.alternative?.words ?? []).map((w) => ({
        text: w.word ?? "",
        start: offsetSeconds + seconds(w.startTime),
        end: offsetSeconds + seconds(w.endTime),
        confidence: w.confidence ?? r.alternative?.confidence ?? 0,
      })),
    ),
    confidences: best.map((r) => r.alternative?.confidence).filter((c): c is number => typeof c === "number"),
    language: best.find((r) => r.language)?.language,
  };
}

/**
 * Google Cloud Speech-to-Text v1 `speech:recognize` through googleapis' request layer (the one
 * @googleapis/* clients use), against a configurable endpoint; a 401 gets one retry with a fresh token.
 * Google takes one minute of inline audio at most (longer needs a Cloud Storage bucket), so a longer
 * note is cut at pauses and its pieces recognised one after another, their words' times kept.
 */
export function googleSpeechWorker(
  options: CloudSpeechOptions,
  auth: BearerSource,
  long?: LongAudioOptions,
): EngineWorker<CloudSpeechJob, HeardSpeech> {
  const inFlight = new Set<AbortController>();
  let splitter: Promise<EngineWorker<SpeechJob, AudioPieces>> | undefined;
  const call = async (config: Record<string, unknown>, audio: Uint8Array, language: string, abort: AbortController) => {
    const requestBody = {
      config: {
        ...config,
        languageCode: language,
        enableWordTimeOffsets: true,
        enableWordConfidence: true,
        ...(options.model ? { model: options.model } : {}),
      },
      audio: { content: Buffer.from(audio).toString("base64") },
    };
    const response = await createAPIRequest<GoogleRecognizeResponse>({
      options: {
        url: `${options.endpoint.replace(/\/+$/, "")}/v1/speech:recognize`,
        method: "POST",
        timeout: options.timeoutMs,
        retry: false,
        signal: abort.signal,
        headers: { Authorization: await auth.header() },
      },
      params: { requestBody },
      requiredParams: [],
      pathParams: [],
      context: { _options: {} },
    });
    return response.data;
  };
  const recognize = async (config: Record<string, unknown>, audio: Uint8Array, language: string, abort: AbortController) => {
    try {
      return await call(config, audio, language, abort);
    } catch (error) {
      if (Number((error as HttpFailure).response?.status ?? (error as HttpFailure).status) !== 401) throw error;
      auth.invalidate();
      return call(config, audio, language, abort);
    }
  };
  return {
    async run(job) {
      const abort = new AbortController();
      inFlight.add(abort);
      try {
        const heard: ReturnType<typeof heardFrom>[] = [];
        let durationSeconds: number | undefined;
        const tooLong = job.durationSeconds !== undefined && job.durationSeconds > (long?.syncSeconds ?? Infinity);
        const tooLarge = job.audio.length > (long?.syncBytes ?? Infinity);
        if (long && (tooLong || tooLarge) && (job.container === "ogg" || job.container === "wav")) {
          splitter ??= long.startSplitter();
          const thread = await splitter.catch((error: unknown) => {
            splitter = undefined;
            throw error;
          });
          const cut = await thread.run({ audio: job.audio, container: job.container, language: job.language }).catch((error: unknown) => {
            // A splitter that stopped (out of memory on a huge note) is started afresh for the next one.
            if ((error as { code?: unknown }).code === "media.closed") splitter = undefined;
            throw error;
          });
          durationSeconds = cut.durationSeconds;
          for (const piece of cut.pieces)
            heard.push(
              heardFrom(
                await recognize({ encoding: "LINEAR16", sampleRateHertz: AUDIO_PIECE_RATE }, piece.wav, job.language, abort),
                piece.offsetSeconds,
              ),
            );
        } else {
          heard.push(heardFrom(await recognize(googleAudioConfig(job), job.audio, job.language, abort), 0));
        }
        const confidences = heard.flatMap((h) => h.confidences);
        return {
          text: heard
            .map((h) => h.text)
            .filter(Boolean)
            .join(" "),
          confidence: confidences.length > 0 ? confidences.reduce((a, b) => a + b, 0) / confidences.length : undefined,
          words: heard.flatMap((h) => h.words),
          language: heard.find((h) => h.language)?.language ?? job.language,
          ...(durationSeconds !== undefined ? { durationSeconds } : {}),
        };
      } catch (error) {
        if (error instanceof WaError) throw error;
        const failure = error as HttpFailure;
        const status = failure.response?.status ?? failure.status ?? failure.code ?? "no answer";
        throw engineFailed("Google Speech-to-Text", status, reasonOf(failure.response?.data, failure.message ?? String(error)));
      } finally {
        inFlight.delete(abort);
      }
    },
    async terminate() {
      for (const abort of inFlight) abort.abort();
      if (splitter)
        await splitter.then(
          (thread) => thread.terminate(),
          () => undefined,
        );
    },
  };
}

/** The rate of the pieces a long note is cut into: 16 kHz, what speech services are trained on. */
export const AUDIO_PIECE_RATE = 16_000;

const FILE_NAMES: Record<string, [string, string]> = {
  ogg: ["voice.ogg", "audio/ogg"],
  wav: ["voice.wav", "audio/wav"],
  mp3: ["voice.mp3", "audio/mpeg"],
  mp4: ["voice.m4a", "audio/mp4"],
  webm: ["voice.webm", "audio/webm"],
};

interface OpenAiVerboseTranscript {
  text?: string;
  language?: string;
  duration?: number;
  words?: { word?: string; start?: number; end?: number }[];
  segments?: { avg_logprob?: number }[];
}

/** An OpenAI-compatible `POST /audio/transcriptions` (OpenAI, Groq, a local whisper server…), multipart upload. */
export function openAiSpeechWorker(options: CloudSpeechOptions, apiKey: string | undefined): EngineWorker<SpeechJob, HeardSpeech> {
  const inFlight = new Set<AbortController>();
  return {
    async run(job) {
      const abort = new AbortController();
      inFlight.add(abort);
      const timer = setTimeout(() => abort.abort(), options.timeoutMs);
      try {
        const [fileName, type] = FILE_NAMES[job.container] ?? ["voice.ogg", "audio/ogg"];
        const form = new FormData();
        form.append("file", new Blob([new Uint8Array(job.audio)], { type }), fileName);
        form.append("model", options.model || "whisper-1");
        form.append("response_format", "verbose_json");
        form.append("timestamp_granularities[]", "word");
        const language = job.language.split("-")[0].toLowerCase();
        if (language) form.append("language", language);
        let response: Response;
        try {
          response = await fetch(`${options.endpoint.replace(/\/+$/, "")}/audio/transcriptions`, {
            method: "POST",
            body: form,
            headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
            signal: abort.signal,
          });
        } catch (error) {
          throw engineFailed("The transcription service", "no answer", String((error as Error)?.message ?? error).slice(0, 200));
        }
        const body = (await response.json().catch(() => undefined)) as OpenAiVerboseTranscript | undefined;
        if (!response.ok || !body || typeof body.text !== "string")
          throw engineFailed(
            "The transcription service",
            response.status,
            reasonOf(body, response.ok ? "an answer without text" : response.statusText),
          );
        const logProbs = (body.segments ?? []).map((s) => s.avg_logprob).filter((p): p is number => typeof p === "number");
        return {
          text: body.text.trim(),
          confidence:
            logProbs.length > 0 ? Math.round(Math.exp(logProbs.reduce((a, b) => a + b, 0) / logProbs.length) * 1000) / 1000 : undefined,
          words: (body.words ?? [])
            .map((w) => ({ text: String(w.word ?? "").trim(), start: w.start ?? 0, end: w.end ?? 0, confidence: 1 }))
            .filter((w) => w.text),
          language: body.language ?? job.language,
          durationSeconds: body.duration,
        };
      } finally {
        clearTimeout(timer);
        inFlight.delete(abort);
      }
    },
    async terminate() {
      for (const abort of inFlight) abort.abort();
    },
  };
}
