import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Files a shipped model is trained on, hashed together: a model whose digest differs is stale. */
export function trainingDataDigest(data: string, files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of files) hash.update(file).update(readFileSync(join(data, file)));
  return hash.digest("hex");
}
