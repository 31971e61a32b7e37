import { FlowConfigOf, readSettingsBySchema } from "../core/settings/schema";
import { transcribeSchema } from "./schemas/wa-transcribe";
import { WaError, invalidSetting } from "../core/errors";
import { DEFAULT_PRIOR_WEIGHT } from "../core/media/speech/acoustic-adaptation";
import { probeAudio } from "../core/media/speech/audio";
import { EngineWorker, EnginePool } from "../core/media/engine-pool";
import { parsePhraseList, spokenDigits } from "../core/media/speech/speech";
import { mediaOf } from "./kit/media-message";
import { serveMediaStage } from "./kit/media-stage";
import { describeError, onClose, startNode, userDirOf } from "./kit/node-kit";
import { Node, NodeAPI, NodeDef } from "./kit/red";
import { CLOUD_PLATFORM_SCOPE, ServiceAccountTokens, readServiceAccountKey } from "../core/sheets/service-account";
import { startAudioSplitThread } from "../core/media/speech/audio-splitting";
import { AUDIO_PIECE_RATE, CloudSpeechJob, googleSpeechWorker, openAiSpeechWorker } from "../core/media/speech/speech-cloud";
import { readAdaptationSource } from "../core/media/speech/speech-adaptation";
import { HeardSpeech, OfflineSpeechInfo, OfflineSpeechSettings, startOfflineSpeechThread } from "../core/media/speech/speech-offline";

type EngineName = "offline" | "google" | "openai";

type TranscribeDef = NodeDef & FlowConfigOf<typeof transcribeSchema>;

interface TranscribeCredentials {
  googleKey?: string;
  apiKey?: string;
}

/** The offline engine's acoustic models, by the language codes a form takes. */
const OFFLINE_MODELS: Record<string, "en-us" | "fr-fr"> = {
  en: "en-us",
  "en-us": "en-us",
  "en-gb": "en-us",
  fr: "fr-fr",
  "fr-fr": "fr-fr",
};
const DEFAULT_ENDPOINT: Record<EngineName, string> = {
  offline: "",
  google: "https://speech.googleapis.com",
  openai: "https://api.openai.com/v1",
};
/**
 * Google's synchronous recognize takes a minute and 10 MB of inline audio at most; a longer or larger
 * note is cut at pauses into 16 kHz pieces of at most 55 s (a margin under the minute).
 */
const GOOGLE_SYNC_SECONDS = 55;
const GOOGLE_SYNC_BYTES = 10 * 1024 * 1024;

export function transcribeSettingsFromConfig(config: TranscribeDef, credentials: TranscribeCredentials = {}) {
  const read = readSettingsBySchema(transcribeSchema, config);
  const { engine, language, grammar } = read;
  const model = OFFLINE_MODELS[language.toLowerCase()];
  if (engine === "offline" && !model) {
    throw invalidSetting(
      "language",
      "offlineLanguage",
      "Language: the offline engine has US English (en-US) and French (fr-FR) models; use the Google or OpenAI-compatible engine for others",
    );
  }
  const phrases = parsePhraseList(read.phrases);
  if (engine === "offline" && grammar !== "digits" && phrases.length === 0)
    throw invalidSetting("phrases", "noPhrases", "Phrases: list at least one phrase, one per line");
  const adaptList = engine === "offline" ? read.adaptList : "";
  const endpoint = read.endpoint || DEFAULT_ENDPOINT[engine];
  if (engine !== "offline" && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(endpoint))
    throw invalidSetting("endpoint", "endpointUrl", "Endpoint: an http(s) URL");
  const googleKey = engine === "google" ? readServiceAccountKey(credentials.googleKey ?? "") : undefined;
  const apiKey = credentials.apiKey?.trim() || undefined;
  return {
    engine,
    language,
    model: model ?? "en-us",
    grammar,
    phrases,
    adaptList,
    endpoint,
    cloudModel: read.model,
    poolSize: read.poolSize,
    timeoutMs: read.timeoutSeconds * 1000,
    maxSeconds: read.maxSeconds,
    maxBytes: Math.round(read.maxMegabytes * 1024 * 1024),
    useAsText: read.useAsText,
    googleKey,
    apiKey,
  };
}

type TranscribeNode = Node<TranscribeCredentials>;
type TranscribeSettings = ReturnType<typeof transcribeSettingsFromConfig>;
type Job = CloudSpeechJob;

export default function register(RED: NodeAPI): void {
  function WaTranscribe(this: TranscribeNode, config: TranscribeDef) {
    const started = startNode(RED, this, config, () => transcribeSettingsFromConfig(config, this.credentials ?? {}));
    if (!started) return;
    const { node, clock, status, settings, text: nodeText } = started;
    // One token for all of the node's requests in flight.
    const googleTokens = settings.googleKey ? new ServiceAccountTokens(settings.googleKey, clock, fetch, CLOUD_PLATFORM_SCOPE) : undefined;
    // Adapting to many recordings can take minutes; a voice note arriving meanwhile waits for it.
    const startTimeoutMs = settings.adaptList ? 15 * 60_000 : 60_000;
    const pool = new EnginePool<Job, HeardSpeech>(
      () => createWorker(settings),
      { label: "Transcription", size: settings.poolSize, timeoutMs: settings.timeoutMs, startTimeoutMs, maxWaiting: 100 },
      clock,
    );
    let warnedWords = false;
    const idleText = (adapted?: number) =>
      adapted === undefined
        ? nodeText("transcribe.idle", `ready (${settings.engine}, ${settings.language})`, {
            engine: settings.engine,
            language: settings.language,
          })
        : nodeText("transcribe.idleAdapted", `ready (${settings.engine}, ${settings.language}, adapted to ${adapted} recordings)`, {
            engine: settings.engine,
            language: settings.language,
            recordings: adapted,
          });

    const offlineSettings = (s: TranscribeSettings, adaptation?: OfflineSpeechSettings["adaptation"]): OfflineSpeechSettings => ({
      model: s.model,
      mode: s.grammar,
      phrases: s.phrases,
      maxSeconds: s.maxSeconds,
      adaptation,
    });
    const onOfflineReady = (info: OfflineSpeechInfo) => {
      if (info.unknownWords.length === 0 || warnedWords) return;
      warnedWords = true;
      const words = info.unknownWords;
      node.warn(
        nodeText(
          "transcribe.unknownWords",
          `${words.length} words are not in the offline dictionary and are left out: ${words.slice(0, 10).join(", ")}`,
          { count: words.length, words: words.slice(0, 10).join(", ") },
        ),
      );
    };

    let adaptationThread: Promise<EngineWorker<Job, HeardSpeech>> | undefined;
    /**
     * The model's means adapted to the listed recordings, at deploy: one thread adapts them and writes
     * its file (reused on the next deploy while the recordings are the same); the engine threads load it.
     */
    async function adaptModel(s: TranscribeSettings): Promise<string> {
      const userDir = userDirOf(RED);
      const source = await readAdaptationSource(userDir, s.adaptList, s.model, DEFAULT_PRIOR_WEIGHT);
      if (source.recordings.length === 0) {
        const first = source.skipped[0] ? ` (${source.skipped[0].name}: ${source.skipped[0].reason})` : "";
        throw invalidSetting("adaptList", "noRecordings", `Adapt to voices: ${s.adaptList} lists no recording that could be read${first}`, {
          list: s.adaptList,
          first,
        });
      }
      status.set(
        {
          fill: "yellow",
          shape: "ring",
          text: nodeText("transcribe.adapting", `adapting to ${source.recordings.length} recordings…`, {
            recordings: source.recordings.length,
          }),
        },
        true,
      );
      let summary: OfflineSpeechInfo["adaptation"];
      adaptationThread = startOfflineSpeechThread(
        offlineSettings(s, { recordings: source.recordings, meansFile: source.meansFile, priorWeight: DEFAULT_PRIOR_WEIGHT }),
        (info) => {
          summary = info.adaptation;
        },
      );
      await (await adaptationThread).terminate();
      const skipped = [...source.skipped, ...(summary?.skipped ?? [])];
      if (skipped.length > 0) {
        const list = skipped
          .slice(0, 5)
          .map((r) => `${r.name} (${r.reason})`)
          .join("; ");
        node.warn(
          nodeText("transcribe.adaptSkipped", `Adapt to voices: ${skipped.length} recordings left out: ${list}`, {
            count: skipped.length,
            list,
          }),
        );
      }
      status.set({ fill: "grey", shape: "dot", text: idleText(summary?.recordings ?? 0) }, true);
      return source.meansFile;
    }
    const adaptedMeans = settings.engine === "offline" && settings.adaptList ? adaptModel(settings) : undefined;
    let closing = false;
    adaptedMeans?.catch((error: unknown) => {
      if (closing) return;
      status.set({ fill: "red", shape: "dot", text: nodeText("transcribe.adaptFailed", "adaptation failed", {}) }, true);
      node.error(describeError(RED, error));
    });

    function createWorker(s: TranscribeSettings): Promise<EngineWorker<Job, HeardSpeech>> {
      if (s.engine === "google" && googleTokens) {
        const long = {
          syncSeconds: GOOGLE_SYNC_SECONDS,
          syncBytes: GOOGLE_SYNC_BYTES,
          startSplitter: () => startAudioSplitThread({ sampleRate: AUDIO_PIECE_RATE, maxSeconds: GOOGLE_SYNC_SECONDS }),
        };
        return Promise.resolve(
          googleSpeechWorker({ endpoint: s.endpoint, timeoutMs: s.timeoutMs, model: s.cloudModel || undefined }, googleTokens, long),
        );
      }
      if (s.engine === "openai")
        return Promise.resolve(
          openAiSpeechWorker({ endpoint: s.endpoint, timeoutMs: s.timeoutMs, model: s.cloudModel || undefined }, s.apiKey),
        );
      if (!adaptedMeans) return startOfflineSpeechThread(offlineSettings(s), onOfflineReady);
      return adaptedMeans.then((meansFile) =>
        startOfflineSpeechThread(offlineSettings(s, { recordings: [], meansFile, priorWeight: DEFAULT_PRIOR_WEIGHT }), onOfflineReady),
      );
    }

    if (!adaptedMeans) status.set({ fill: "grey", shape: "dot", text: idleText() }, true);
    onClose(RED, node, () => {
      closing = true;
      void adaptationThread?.then((thread) => thread.terminate()).catch(() => undefined);
    });
    serveMediaStage(RED, node, status, clock, pool, {
      key: "transcript",
      prepare(msg) {
        const media = mediaOf(msg);
        if (!media || media.data.length === 0)
          throw new WaError(
            "media.unreadable",
            "The message carries no voice note (msg.wa.message.media.data or a Buffer in msg.payload)",
            { reason: "no audio" },
          );
        if (media.data.length > settings.maxBytes)
          throw new WaError("media.tooLarge", `The media is ${media.data.length} bytes; the limit is ${settings.maxBytes}`, {
            size: media.data.length,
            max: settings.maxBytes,
          });
        const info = probeAudio(media.data);
        if (info.durationSeconds !== undefined && info.durationSeconds > settings.maxSeconds) {
          throw new WaError(
            "media.tooLong",
            `The voice note lasts ${info.durationSeconds.toFixed(1)} s; the limit is ${settings.maxSeconds} s`,
            { seconds: Math.round(info.durationSeconds), max: settings.maxSeconds },
          );
        }
        return {
          audio: media.data,
          container: info.container,
          language: settings.language,
          sampleRate: info.sampleRate,
          durationSeconds: info.durationSeconds,
        };
      },
      present(result, _job, msg) {
        const message = (msg as { wa?: { message?: { text?: unknown } } }).wa?.message;
        // The later stages (entities, intent, sentiment) read the message text; a voice note has none of its own.
        if (settings.useAsText && message && !message.text) message.text = result.text;
        return {
          text: result.text,
          confidence: result.confidence,
          words: result.words,
          language: result.language,
          engine: settings.engine,
          ...(settings.engine === "offline" && settings.grammar === "digits" ? { digits: spokenDigits(result.text) } : {}),
          durationSeconds: result.durationSeconds,
          ms: Math.round(result.engineMs),
          waitedMs: Math.round(result.queuedMs),
        };
      },
    });
  }

  RED.nodes.registerType<TranscribeNode, TranscribeDef, unknown, TranscribeCredentials>("wa-transcribe", WaTranscribe, {
    credentials: { googleKey: { type: "password" }, apiKey: { type: "password" } },
  });
}
