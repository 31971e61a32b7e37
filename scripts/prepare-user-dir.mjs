// Makes a Node-RED user directory that loads this pack from the working tree and, the
// first time, opens with the quick-start flow. Usage: node scripts/prepare-user-dir.mjs DIR
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const userDir = resolve(root, process.argv[2] ?? ".node-red-dev");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

const link = join(userDir, "node_modules", ...pkg.name.split("/"));
mkdirSync(dirname(link), { recursive: true });
rmSync(link, { recursive: true, force: true });
symlinkSync(root, link, "dir");
if (!existsSync(join(userDir, "package.json"))) {
  writeFileSync(
    join(userDir, "package.json"),
    JSON.stringify({ name: "node-red-project", private: true, dependencies: { [pkg.name]: `file:${root}` } }, null, 2),
  );
}

const settingsFile = join(userDir, "settings.js");
if (!existsSync(settingsFile)) {
  writeFileSync(
    settingsFile,
    `module.exports = {
  uiHost: process.env.HOST || "127.0.0.1",
  flowFile: "flows.json",
  flowFilePretty: true,
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  logging: { console: { level: "info", metrics: false, audit: false } },
  editorTheme: { projects: { enabled: false }, tours: false },
};
`,
  );
}

const flowFile = join(userDir, "flows.json");
if (!existsSync(flowFile)) {
  const nodes = JSON.parse(readFileSync(join(root, "examples", "quick-start.json"), "utf8"));
  const tab = { id: "a1b2c3d4e5f60718", type: "tab", label: "WhatsApp quick start", disabled: false, info: "" };
  const flow = [tab, ...nodes.map((node) => (node.type === "wa-client" ? node : { ...node, z: tab.id }))];
  writeFileSync(flowFile, JSON.stringify(flow, null, 2));
  console.log(`» quick-start flow written to ${flowFile}`);
}
