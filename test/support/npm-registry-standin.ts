import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Server, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A loopback npm registry serving packages built on the spot, answering as the public registry does
 * (a packument at /<name>, tarballs under /<name>/-/, 404 JSON for what it lacks), so that a real
 * `npm install` can run against it with `npm_config_registry` pointing here.
 */
export interface StandinPackage {
  name: string;
  version: string;
  /** index.js of the package. */
  main: string;
}

export interface NpmRegistryStandin {
  url: string;
  /** Paths asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

function tarballOf(pkg: StandinPackage): Buffer {
  const work = mkdtempSync(join(tmpdir(), "npm-standin-"));
  try {
    mkdirSync(join(work, "package"));
    writeFileSync(join(work, "package", "package.json"), JSON.stringify({ name: pkg.name, version: pkg.version, main: "index.js" }));
    writeFileSync(join(work, "package", "index.js"), pkg.main);
    execFileSync("tar", ["-czf", join(work, "package.tgz"), "-C", work, "package"]);
    return readFileSync(join(work, "package.tgz"));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function startNpmRegistryStandin(packages: StandinPackage[]): Promise<NpmRegistryStandin> {
  const tarballs = new Map(packages.map((pkg) => [`/${pkg.name}/-/${pkg.name}-${pkg.version}.tgz`, { pkg, data: tarballOf(pkg) }]));
  const requests: string[] = [];
  let base = "";
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]);
    requests.push(path);
    const tarball = tarballs.get(path);
    if (tarball) {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": tarball.data.length });
      res.end(tarball.data);
      return;
    }
    const versions = [...tarballs.entries()].filter(([, entry]) => `/${entry.pkg.name}` === path);
    if (versions.length === 0) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "Not found" }));
      return;
    }
    const name = versions[0][1].pkg.name;
    const packument = {
      name,
      "dist-tags": { latest: versions[versions.length - 1][1].pkg.version },
      versions: Object.fromEntries(
        versions.map(([tarballPath, { pkg, data }]) => [
          pkg.version,
          {
            name,
            version: pkg.version,
            dist: {
              tarball: `${base}${tarballPath}`,
              shasum: createHash("sha1").update(data).digest("hex"),
              integrity: `sha512-${createHash("sha512").update(data).digest("base64")}`,
            },
          },
        ]),
      ),
    };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
