import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sheetsNode, { sheetsSettingsFromConfig } from "../../src/nodes/wa-sheets";
import { helper, inTab, useNodeHarness } from "./harness";
import type { WaSheetsNode } from "../../src/nodes/kit/contracts";

const KEY = JSON.stringify({
  type: "service_account",
  client_email: "reader@example-project.iam.gserviceaccount.com",
  private_key: readFileSync(join(__dirname, "..", "fixtures", "known-answers", "test-only-service-account.pem"), "utf8"),
});
const base = {
  spreadsheetId: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
  apiRoot: "",
  requestsPerMinute: 60,
  cacheSeconds: 60,
  staleSeconds: 300,
  cacheStore: "",
};

describe("wa-sheets config node: every option of its form", () => {
  useNodeHarness();
  let id = "sh1";
  const config = () => helper.getNode(id) as unknown as WaSheetsNode;

  /** Each load under a new id, with its key given each time: the test helper keeps credentials from one load to the next. */
  async function load(settings: Record<string, unknown>, key = KEY) {
    id = `sh-${Math.random().toString(36).slice(2, 10)}`;
    await helper.load(sheetsNode, inTab([{ id, type: "wa-sheets", ...base, ...settings }]), { [id]: { key } });
  }

  it("reads its settings: spreadsheet, API root, quota, cache and breaker", () => {
    const settings = sheetsSettingsFromConfig({
      ...base,
      apiRoot: "http://127.0.0.1:8085/",
      requestsPerMinute: 300,
      cacheSeconds: 30,
      staleSeconds: 600,
      failureRate: 0.3,
      minimumCalls: 8,
      windowSeconds: 120,
      resetSeconds: 10,
    } as never);
    assert.equal(settings.spreadsheetId, base.spreadsheetId);
    assert.equal(settings.apiRoot, "http://127.0.0.1:8085/");
    assert.equal(settings.requestsPerMinute, 300);
    assert.deepEqual(settings.cache, { ttlMs: 30_000, staleMs: 600_000 });
    const { failureRate, minimumCalls, windowMs, resetTimeoutMs } = settings.breaker;
    assert.deepEqual(
      { failureRate, minimumCalls, windowMs, resetTimeoutMs },
      { failureRate: 0.3, minimumCalls: 8, windowMs: 120_000, resetTimeoutMs: 10_000 },
    );
  });

  it("refuses what it cannot use, saying which field and why", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ spreadsheetId: "" }, /Spreadsheet id/],
      [{ spreadsheetId: "https://docs.google.com/spreadsheets/d/x" }, /Spreadsheet id/],
      [{ apiRoot: "file:///etc/passwd" }, /API root URL: it must start with http:\/\/ or https:\/\//],
      [{ requestsPerMinute: 0 }, /Requests per minute/],
      [{ cacheSeconds: -1 }, /Cache reads for/],
      [{ staleSeconds: 90_000 }, /Serve stale for/],
    ];
    for (const [change, reason] of cases)
      assert.throws(() => sheetsSettingsFromConfig({ ...base, ...change } as never), reason, JSON.stringify(change));
  });

  it("shares one breaker, one request budget and one read cache with every node that uses it", async () => {
    await load({ requestsPerMinute: 120 });
    assert.equal(config().failure, undefined);
    assert.ok(config().breaker && config().quota && config().tokens);
    assert.equal((config().tokens as { email?: string }).email, "reader@example-project.iam.gserviceaccount.com");
    assert.equal(config().readCache!(), config().readCache!(), "one cache");
  });

  it("says what is missing when the key is not pasted, or is not a service-account key", async () => {
    await load({}, "");
    assert.match(config().failure ?? "", /Paste the service account's JSON key/);
    await helper.unload();
    await load({}, JSON.stringify({ type: "authorized_user", client_id: "x" }));
    assert.match(config().failure ?? "", /must be a service-account key/);
  });
});
