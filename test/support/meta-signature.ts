import { createHmac } from "node:crypto";

/** X-Hub-Signature-256 as Meta computes it, written here with node:crypto so tests do not sign with the code they test. */
export function metaSignature(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
