import { createSign } from "node:crypto";
import { Clock } from "../clock";
import { WaError, invalidSetting } from "../errors";

export interface ServiceAccountCredentials {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets";
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

/** Reads a service-account key (the JSON file from Google Cloud's console), with errors a person can act on. */
export function readServiceAccountKey(text: string): ServiceAccountCredentials {
  let parsed: Partial<ServiceAccountCredentials> & { type?: string };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw invalidSetting(
      "key",
      "keyNotJson",
      "The service-account key is not JSON: paste the whole key file downloaded from Google Cloud (IAM › Service accounts › Keys)",
    );
  }
  if (
    parsed.type !== "service_account" ||
    typeof parsed.client_email !== "string" ||
    typeof parsed.private_key !== "string" ||
    !parsed.private_key.includes("PRIVATE KEY")
  ) {
    throw invalidSetting(
      "key",
      "keyShape",
      "The key must be a service-account key (type service_account, with client_email and private_key)",
    );
  }
  if (parsed.token_uri !== undefined && !/^https?:\/\//.test(parsed.token_uri))
    throw invalidSetting("key", "keyTokenUri", "The key's token_uri must be an http(s) URL");
  return {
    client_email: parsed.client_email,
    private_key: parsed.private_key,
    private_key_id: parsed.private_key_id,
    token_uri: parsed.token_uri,
  };
}

/**
 * Access tokens for a service account (OAuth 2 JWT bearer grant against the key's token_uri,
 * which is Google's, or the emulator's), kept until a minute before they expire.
 */
export class ServiceAccountTokens {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly key: ServiceAccountCredentials,
    private readonly clock: Clock,
    private readonly fetchToken: typeof fetch = fetch,
    private readonly scope: string = SHEETS_SCOPE,
  ) {}

  get email(): string {
    return this.key.client_email;
  }

  async header(): Promise<string> {
    return `Bearer ${await this.get()}`;
  }

  /** Forget the token (after a 401), so the next call fetches a fresh one. */
  invalidate(): void {
    this.token = undefined;
  }

  private async get(): Promise<string> {
    if (this.token && this.clock.now() < this.token.expiresAt - 60_000) return this.token.value;
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetch(): Promise<string> {
    const tokenUri = this.key.token_uri ?? GOOGLE_TOKEN_URI;
    const now = Math.floor(this.clock.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "RS256", typ: "JWT", ...(this.key.private_key_id ? { kid: this.key.private_key_id } : {}) })}.${encode({ iss: this.key.client_email, scope: this.scope, aud: tokenUri, iat: now, exp: now + 3600 })}`;
    let signature: string;
    try {
      signature = createSign("RSA-SHA256").update(unsigned).sign(this.key.private_key, "base64url");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw invalidSetting("key", "keyCannotSign", `The service-account private key cannot sign (${reason})`, { reason });
    }
    let response: Response;
    try {
      response = await this.fetchToken(tokenUri, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: `${unsigned}.${signature}`,
        }).toString(),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new WaError(
        "sheets.auth",
        `Google's token service could not be reached (${error instanceof Error ? error.message : String(error)})`,
        { reason: "unreachable" },
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!response.ok || !body.access_token) {
      throw new WaError(
        "sheets.auth",
        `Google refused the service account ${this.key.client_email}: ${body.error_description ?? body.error ?? `HTTP ${response.status}`} (was the key deleted?)`,
        { reason: body.error_description ?? body.error ?? String(response.status) },
      );
    }
    this.token = { value: body.access_token, expiresAt: this.clock.now() + (body.expires_in ?? 3600) * 1000 };
    return body.access_token;
  }
}
