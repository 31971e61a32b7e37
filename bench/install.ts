import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { npmInstallArgs } from "../src/core/transport/library-installer";
import { provenance } from "./provenance";

// What a user downloads and waits for: the packed pack installed into a fresh Node-RED user directory with the
// palette manager's npm flags and an empty npm cache (everything from the registry), then whatsapp-web.js added
// the way the WhatsApp Web connection's Install button adds it. Writes bench/results/install.json.

const ROOT = join(__dirname, "..");

function npm(args: string[], cwd: string, env: Record<string, string> = {}): number {
  const started = performance.now();
  const run = spawnSync("npm", args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (run.status !== 0) throw new Error(`npm ${args.join(" ")} failed: ${(run.stderr || run.stdout).slice(-800)}`);
  return (performance.now() - started) / 1000;
}

/** Bytes on disk (du's apparent size would hide small files' blocks; this is what the disk loses). */
function diskMb(dir: string): number {
  return Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]) / 1024;
}

/** Installed packages: every folder holding a package under node_modules, nested ones included. */
function packageCount(userDir: string): number {
  const out = execFileSync("npm", ["ls", "--all", "--parseable", "--omit=dev"], {
    cwd: userDir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Set(out.split("\n").filter((line) => line.includes("node_modules"))).size;
}

function main(): void {
  // Taken first: the run is long, and what it measured is the tree as it was when it started.
  const origin = provenance();
  const work = mkdtempSync(join(tmpdir(), "wa-install-bench-"));
  try {
    execFileSync("npm", ["pack", "--pack-destination", work, "--silent"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const tarball = readdirSync(work).find((file) => file.endsWith(".tgz"));
    if (!tarball) throw new Error("npm pack made no tarball");
    const userDir = join(work, "userdir");
    execFileSync("mkdir", [userDir]);
    writeFileSync(join(userDir, "package.json"), JSON.stringify({ name: "node-red-project", private: true }));
    const cache = { npm_config_cache: join(work, "npm-cache") };

    const packSeconds = npm(npmInstallArgs(join(work, tarball)), userDir, cache);
    const light = { seconds: packSeconds, diskMb: diskMb(join(userDir, "node_modules")), packages: packageCount(userDir) };
    console.log(`pack alone: ${light.diskMb.toFixed(0)} MB, ${light.packages} packages, ${light.seconds.toFixed(0)} s`);

    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { peerDependencies: Record<string, string> };
    const spec = `whatsapp-web.js@${pkg.peerDependencies["whatsapp-web.js"]}`;
    const addSeconds = npm(npmInstallArgs(spec), userDir, { ...cache, PUPPETEER_SKIP_DOWNLOAD: "true" });
    const withWwebjs = { seconds: addSeconds, diskMb: diskMb(join(userDir, "node_modules")), packages: packageCount(userDir) };
    console.log(
      `with ${spec}: ${withWwebjs.diskMb.toFixed(0)} MB, ${withWwebjs.packages} packages, ${withWwebjs.seconds.toFixed(0)} s more (puppeteer's Chromium not downloaded)`,
    );

    const result = {
      ...origin,
      command: "npm run bench:install",
      method:
        "npm pack, then npm install of the tarball into a fresh user directory with the palette manager's flags and an empty npm cache; then npm install of whatsapp-web.js as the connection's Install button runs it (PUPPETEER_SKIP_DOWNLOAD=true: the system Chromium is used). Disk use by du -sk of node_modules; packages by npm ls --all --parseable.",
      tarballMb: diskMb(join(work, tarball)),
      light: { ...light, seconds: Math.round(light.seconds * 10) / 10, diskMb: Math.round(light.diskMb) },
      wwebjs: {
        spec,
        totalDiskMb: Math.round(withWwebjs.diskMb),
        totalPackages: withWwebjs.packages,
        addedDiskMb: Math.round(withWwebjs.diskMb - light.diskMb),
        addedPackages: withWwebjs.packages - light.packages,
        addSeconds: Math.round(withWwebjs.seconds * 10) / 10,
      },
    };
    writeFileSync(join(ROOT, "bench", "results", "install.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log("wrote bench/results/install.json");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
