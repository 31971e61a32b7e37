// Compiles the TypeScript and puts every file Node-RED loads beside each node's .js:
// dist/nodes/<type>.js, <type>.html, locales/<lang>/<type>.json and icons/.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const dist = join(root, "dist");
const require = createRequire(import.meta.url);

// `--if-changed` (npm start): nothing is rebuilt when no input changed since the last build (a build takes seconds).
const INPUTS = ["src", "nodes", "icons", "demo-media", "package.json", "tsconfig.json", "tsconfig.build.json", "scripts/build.mjs"];
function inputsFingerprint() {
  const entries = [];
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
    else entries.push(`${path.slice(root.length)}\t${stat.size}\t${stat.mtimeMs}`);
  };
  for (const input of INPUTS) visit(join(root, input));
  return createHash("sha256").update(entries.join("\n")).digest("hex");
}
const fingerprintFile = join(dist, ".build-inputs");
const fingerprint = inputsFingerprint();
if (
  process.argv.includes("--if-changed") &&
  existsSync(fingerprintFile) &&
  existsSync(join(root, "resources", "editor.js")) &&
  readFileSync(fingerprintFile, "utf8") === fingerprint
) {
  console.log("build: dist/ is up to date");
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
  cwd: root,
});

// The editor code the forms share (validators and defaults from the same schemas the runtime reads), as one
// script Node-RED serves from the pack's resources/ folder.
await build({
  entryPoints: [join(root, "src", "editor", "editor.ts")],
  bundle: true,
  format: "iife",
  target: "es2019",
  outfile: join(root, "resources", "editor.js"),
  legalComments: "none",
  logLevel: "warning",
});

// The forms' <wa-row> macros are made into form rows from the same schemas (src/editor/form-rows.ts).
const formsDir = mkdtempSync(join(tmpdir(), "wa-pipeline-forms-"));
await build({
  stdin: {
    contents: 'export { nodeHtml } from "./form-rows"; export { schemasByType } from "../nodes/schemas";',
    resolveDir: join(root, "src", "editor"),
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "cjs",
  outfile: join(formsDir, "forms.cjs"),
  logLevel: "warning",
});
const { nodeHtml, schemasByType } = require(join(formsDir, "forms.cjs"));
rmSync(formsDir, { recursive: true, force: true });

const nodesOut = join(dist, "nodes");
for (const file of readdirSync(join(root, "nodes"))) {
  if (!file.endsWith(".html")) continue;
  const type = file.replace(/\.html$/, "");
  const source = readFileSync(join(root, "nodes", file), "utf8");
  writeFileSync(join(nodesOut, file), nodeHtml(source, type, schemasByType[type] ?? {}, pkg.name));
}
cpSync(join(root, "nodes", "locales"), join(nodesOut, "locales"), { recursive: true });
mkdirSync(join(nodesOut, "icons"), { recursive: true });
cpSync(join(root, "icons"), join(nodesOut, "icons"), { recursive: true });
// The photo example's chat script and media: shipped inside dist/ (examples/ holds only flows, one per menu entry).
cpSync(join(root, "demo-media"), join(dist, "demo-media"), { recursive: true });

const problems = [];
const languages = readdirSync(join(nodesOut, "locales"));
for (const [type, file] of Object.entries(pkg["node-red"].nodes)) {
  const base = join(root, file).replace(/\.js$/, "");
  for (const needed of [`${base}.js`, `${base}.html`, join(nodesOut, "icons", `${type}.svg`)]) {
    if (!existsSync(needed)) problems.push(`${type}: missing ${needed.slice(root.length + 1)}`);
  }
  for (const lang of languages) {
    if (!existsSync(join(nodesOut, "locales", lang, `${type}.json`))) problems.push(`${type}: missing locale ${lang}`);
  }
}
if (problems.length > 0) {
  console.error(`build: incomplete node files:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
writeFileSync(fingerprintFile, fingerprint);
console.log(`build: ${Object.keys(pkg["node-red"].nodes).length} node types ready in dist/nodes`);
