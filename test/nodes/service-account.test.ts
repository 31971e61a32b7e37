import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock";
import { ServiceAccountTokens, readServiceAccountKey } from "../../src/core/sheets/service-account";

const FIXTURES = join(__dirname, "..", "fixtures", "known-answers");

describe("service-account tokens (Google's JWT-bearer grant)", () => {
  it("signs the assertion exactly as openssl does for the same key, claims and time (known-answer vector)", async () => {
    const key = readServiceAccountKey(
      JSON.stringify({
        type: "service_account",
        client_email: "kat@example-project.iam.gserviceaccount.com",
        private_key: readFileSync(join(FIXTURES, "test-only-service-account.pem"), "utf8"),
        private_key_id: "kat0000000000000000000000000000000000001",
      }),
    );
    const requests: { url: string; body: URLSearchParams }[] = [];
    const tokenService = (async (url: string, init: RequestInit) => {
      requests.push({ url, body: new URLSearchParams(String(init.body)) });
      return new Response(JSON.stringify({ access_token: "ya29.kat", expires_in: 3600 }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }) as unknown as typeof fetch;
    const tokens = new ServiceAccountTokens(key, new FakeClock(1_767_258_000_000), tokenService);
    assert.equal(await tokens.header(), "Bearer ya29.kat");
    assert.equal(requests.length, 1);
    assert.equal(requests[0].url, "https://oauth2.googleapis.com/token");
    assert.equal(requests[0].body.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assert.equal(requests[0].body.get("assertion"), readFileSync(join(FIXTURES, "jwt-assertion.txt"), "utf8").trim());
    // Kept until a minute before it expires: no second request.
    await tokens.header();
    assert.equal(requests.length, 1);
  });
});
