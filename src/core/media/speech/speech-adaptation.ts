// Reads the recordings a wa-transcribe form lists for adapting the offline model to its callers'
// voices, within limits, and names the file their adapted means are kept in by their content.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { ADAPTATION_LIMITS, parseAdaptationList } from "./acoustic-adaptation";
import { probeAudio } from "./audio";
import { dictionaryWords } from "./speech";
import type { AdaptationRecording } from "./speech-offline";
import { readUserTextFile } from "../../store/user-files";

/** Bumped when the adaptation's arithmetic changes, so files from before are not reused. */
const ADAPTATION_VERSION = 1;
/** Adapted models no node has used for this long are removed (a list that changed leaves its old one behind). */
const KEEP_UNUSED_MS = 30 * 24 * 3_600_000;

export interface AdaptationSource {
  recordings: AdaptationRecording[];
  skipped: { name: string; reason: string }[];
  meansFile: string;
}

/** Whether `file` lies inside `folder` (no `..` or absolute path out of it). */
function inside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

export async function readAdaptationSource(
  userDir: string,
  listFile: string,
  model: string,
  priorWeight: number,
): Promise<AdaptationSource> {
  const { resolved, text } = readUserTextFile(userDir, listFile, ADAPTATION_LIMITS.listBytes, "adaptList", "adaptList");
  const folder = path.dirname(resolved);
  const parsed = parseAdaptationList(text, dictionaryWords);
  const skipped = parsed.skipped.map(({ line, reason }) => ({ name: `line ${line}`, reason }));
  const recordings: AdaptationRecording[] = [];
  const hash = createHash("sha256").update(JSON.stringify([ADAPTATION_VERSION, model, priorWeight]));
  let totalBytes = 0;
  for (const entry of parsed.entries) {
    const file = path.resolve(folder, entry.file);
    const name = entry.file.slice(0, 200);
    if (!inside(folder, file)) {
      skipped.push({ name, reason: "outside the list's folder" });
      continue;
    }
    try {
      const size = (await stat(file)).size;
      if (size > ADAPTATION_LIMITS.recordingBytes)
        throw new Error(`${size} bytes, more than the ${ADAPTATION_LIMITS.recordingBytes} allowed`);
      if (totalBytes + size > ADAPTATION_LIMITS.totalBytes)
        throw new Error(`the recordings pass ${ADAPTATION_LIMITS.totalBytes / 1024 / 1024} MB together`);
      const audio = new Uint8Array(await readFile(file));
      const { container } = probeAudio(audio);
      if (container !== "ogg" && container !== "wav") throw new Error(`${container} audio; Ogg/Opus or WAV only`);
      totalBytes += size;
      recordings.push({ name, audio, container, text: entry.text });
      hash.update(JSON.stringify([entry.text, createHash("sha256").update(audio).digest("hex")]));
    } catch (error) {
      skipped.push({ name, reason: (error as Error).message.slice(0, 200) });
    }
  }
  const cacheFolder = path.join(userDir, "wa-pipeline", "speech-adaptation");
  mkdirSync(cacheFolder, { recursive: true });
  const meansFile = path.join(cacheFolder, `${model}-${hash.digest("hex").slice(0, 32)}.means`);
  const now = new Date();
  if (existsSync(meansFile)) utimesSync(meansFile, now, now);
  removeUnused(cacheFolder, now.getTime());
  return { recordings, skipped, meansFile };
}

/** Adapted models (and their summaries, and writes that stopped half-way) not used for {@link KEEP_UNUSED_MS}. */
function removeUnused(folder: string, now: number): void {
  for (const name of readdirSync(folder)) {
    const file = path.join(folder, name);
    try {
      const means = name.replace(/\.json$|\.\d+\.\d+\.tmp$/, "");
      const lastUsed = statSync(existsSync(path.join(folder, means)) ? path.join(folder, means) : file).mtimeMs;
      if (now - lastUsed > KEEP_UNUSED_MS) rmSync(file, { force: true });
    } catch {
      // Gone meanwhile (another node tidying): nothing to do.
    }
  }
}
