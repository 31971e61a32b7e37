import { createAPIRequest } from "googleapis-common";
import { WaError } from "../../core/errors";
import { EngineWorker } from "../../core/media/engine-pool";
import { SpeechJob, TranscriptWord } from "../../core/media/speech";
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

interface GoogleRecognizeResponse {
  results?: { alternatives?: { transcript?: string; confidence?: number; words?: { word?: string; startTime?: string; endTime?: string; confidence?: number }[] }[]; languageCode?: string }[];
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
  if (job.container === "ogg") return { encoding: "OGG_OPUS", sampleRateHertz: [8000, 12000, 16000, 24000, 48000].includes(job.sampleRate ?? 0) ? job.sampleRate : 48000 };
  if (job.container === "wav") return {}; // Google reads the rate and encoding from the WAV header.
  if (job.container === "webm") return { encoding: "WEBM_OPUS", sampleRateHertz: 48000 };
  if (job.container === "mp3") return { encoding: "MP3" };
  throw new WaError("media.unreadable", `Google Speech-to-Text does not take ${job.container} audio`, { reason: `Google Speech-to-Text does not take ${job.container} audio` });
}

/**
 * Google Cloud Speech-to-Text v1 `speech:recognize` through googleapis' request layer (the one
 * @googleapis/* clients use), against a configurable endpoint; a 401 gets one retry with a fresh token.
 */
export function googleSpeechWorker(options: CloudSpeechOptions, auth: BearerSource): EngineWorker<SpeechJob & { sampleRate?: number }, HeardSpeech> {
  const inFlight = new Set<AbortController>();
  const call = async (job: SpeechJob & { sampleRate?: number }, abort: AbortController) => {
    const requestBody = {
      config: { ...googleAudioConfig(job), languageCode: job.language, enableWordTimeOffsets: true, enableWordConfidence: true, ...(options.model ? { model: options.model } : {}) },
      audio: { content: Buffer.from(job.audio).toString("base64") },
    };
    const response = await createAPIRequest<GoogleRecognizeResponse>({
      options: { url: `${options.endpoint.replace(/\/+$/, "")}/v1/speech:recognize`, method: "POST", timeout: options.timeoutMs, retry: false, signal: abort.signal, headers: { Authorization: await auth.header() } },
      params: { requestBody },
      requiredParams: [],
      pathParams: [],
      context: { _options: {} },
    });
    return response.data;
  };
  return {
    async run(job) {
      const abort = new AbortController();
      inFlight.add(abort);
      try {
        let data: GoogleRecognizeResponse;
        try {
          data = await call(job, abort);
        } catch (error) {
          if (Number((error as HttpFailure).response?.status ?? (error as HttpFailure).status) !== 401) throw error;
          auth.invalidate();
          data = await call(job, abort);
        }
        const best = (data.results ?? []).map((r) => ({ alternative: r.alternatives?.[0], language: r.languageCode })).filter((r) => r.alternative);
        const words: TranscriptWord[] = best.flatMap((r) => (r.alternative?.words ?? []).map((w) => ({ text: w.word ?? "", start: seconds(w.startTime), end: seconds(w.endTime), confidence: w.confidence ?? r.alternative?.confidence ?? 0 })));
        const confidences = best.map((r) => r.alternative?.confidence).filter((c): c is number => typeof c === "number");
        return {
          text: best.map((r) => (r.alternative?.transcript ?? "").trim()).filter(Boolean).join(" "),
          confidence: confidences.length > 0 ? confidences.reduce((a, b) => a + b, 0) / confidences.length : undefined,
          words,
          language: best.find((r) => r.language)?.language ?? job.language,
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
    },
  };
}

const FILE_NAMES: Record<string, [string, string]> = { ogg: ["voice.ogg", "audio/ogg"], wav: ["voice.wav", "audio/wav"], mp3: ["voice.mp3", "audio/mpeg"], mp4: ["voice.m4a", "audio/mp4"], webm: ["voice.webm", "audio/webm"] };

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
          response = await fetch(`${options.endpoint.replace(/\/+$/, "")}/audio/transcriptions`, { method: "POST", body: form, headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {}, signal: abort.signal });
        } catch (error) {
          throw engineFailed("The transcription service", "no answer", String((error as Error)?.message ?? error).slice(0, 200));
        }
        const body = (await response.json().catch(() => undefined)) as OpenAiVerboseTranscript | undefined;
        if (!response.ok || !body || typeof body.text !== "string") throw engineFailed("The transcription service", response.status, reasonOf(body, response.ok ? "an answer without text" : response.statusText));
        const logProbs = (body.segments ?? []).map((s) => s.avg_logprob).filter((p): p is number => typeof p === "number");
        return {
          text: body.text.trim(),
          confidence: logProbs.length > 0 ? Math.round(Math.exp(logProbs.reduce((a, b) => a + b, 0) / logProbs.length) * 1000) / 1000 : undefined,
          words: (body.words ?? []).map((w) => ({ text: String(w.word ?? "").trim(), start: w.start ?? 0, end: w.end ?? 0, confidence: 1 })).filter((w) => w.text),
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
