import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../src/core/clock";
import { LibraryInstaller, npmInstallArgs } from "../../src/core/transport/library-installer";

/** npm as a process the test finishes: each run waits until the test says how it ended. */
function setup(timeoutMs = 60_000) {
  const clock = new FakeClock(0);
  let version: string | undefined;
  const runs: {
    args: string[];
    env: Record<string, string>;
    finish(code: number, output: string, installs?: string): void;
    stopped: boolean;
  }[] = [];
  const installer = new LibraryInstaller(
    { library: "whatsapp-web.js", range: "^1.34.7", env: { PUPPETEER_SKIP_DOWNLOAD: "true" }, timeoutMs },
    {
      clock,
      installedVersion: () => version,
      runNpm: (args, env) => {
        let resolve: (value: { code: number | null; output: string }) => void = () => undefined;
        const done = new Promise<{ code: number | null; output: string }>((r) => (resolve = r));
        const run = {
          args,
          env,
          stopped: false,
          finish: (code: number, output: string, installs?: string) => {
            if (installs) version = installs;
            resolve({ code, output });
          },
        };
        runs.push(run);
        return { done, stop: () => void (run.stopped = true) };
      },
    },
  );
  return { clock, installer, runs };
}

describe("installing an optional library on demand", () => {
  it("runs one npm install with the palette manager's flags, joined by a second request, and reports the version", async () => {
    const { installer, runs } = setup();
    assert.equal(installer.status().state, "missing");
    const first = installer.install();
    const second = installer.install();
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0].args, npmInstallArgs("whatsapp-web.js@^1.34.7"));
    assert.deepEqual(runs[0].env, { PUPPETEER_SKIP_DOWNLOAD: "true" });
    assert.equal(installer.status().state, "installing");
    runs[0].finish(0, "added 93 packages in 40s\n", "1.34.7");
    const [a, b] = await Promise.all([first, second]);
    assert.deepEqual([a.state, a.version, b.state], ["installed", "1.34.7", "installed"]);
  });

  it("fails with npm's error lines, or when what npm installed does not load", async () => {
    const { installer, runs } = setup();
    const failing = installer.install();
    runs[0].finish(1, "npm error code E404\nnpm ERR! 404 Not Found - GET http://registry/whatsapp-web.js\n");
    const failed = await failing;
    assert.equal(failed.state, "failed");
    assert.match(failed.error!, /failed \(exit 1\): npm ERR! 404 Not Found/);

    const unloadable = installer.install();
    runs[1].finish(0, "added 1 package\n");
    assert.match((await unloadable).error!, /cannot be loaded from the user directory/);
  });

  it("stops npm that runs past its time", async () => {
    const { clock, installer, runs } = setup(1_000);
    const outcome = installer.install();
    await flushMicrotasks();
    await clock.advanceAsync(1_000);
    const status = await outcome;
    assert.equal(runs[0].stopped, true);
    assert.equal(status.state, "failed");
    assert.match(status.error!, /did not finish within 1 s/);
  });
});
