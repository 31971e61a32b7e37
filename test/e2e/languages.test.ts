import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser, chromium } from "playwright-core";
import { requirePrerequisite } from "../support/prerequisite";
import { PIPELINE_TYPES, closeTray, importIntoEditor, wrappedLabelsIn } from "./editor-helpers";
import { RunningNodeRed, linkedUserDir, listenToComms, repoRoot, startNodeRed, waitFor } from "./runtime";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking"];
const outputDir = join(repoRoot, "test-output", "languages");
const packageName = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { name: string }).name;

/** Each language as Node-RED names it, the browser's locale, and what its catalogues say for a few keys. */
const LANGUAGES = [
  {
    lang: "pt-BR",
    browser: "pt-BR",
    inputs: "Entradas",
    connection: "Conexão",
    notReady: /^(Error: )?A conexão do WhatsApp não está pronta/,
    noClient: "nenhuma conexão configurada",
    badWait: "Esperar no máximo: de 0 a 3600 segundos",
    nameExpects: "1 a 64 letras",
    noneState: "(nenhuma)",
  },
  {
    lang: "es-ES",
    browser: "es-ES",
    inputs: "Entradas",
    connection: "Conexión",
    notReady: /^(Error: )?La conexión de WhatsApp no está lista/,
    noClient: "ninguna conexión configurada",
    badWait: "Esperar como máximo: de 0 a 3600 segundos",
    nameExpects: "de 1 a 64 letras",
    noneState: "(ninguna)",
  },
  {
    lang: "de",
    browser: "de-DE",
    inputs: "Eingaben",
    connection: "Verbindung",
    notReady: /^(Error: )?Die WhatsApp-Verbindung ist nicht bereit/,
    noClient: "keine Verbindung konfiguriert",
    badWait: "Höchstens warten: 0 bis 3600 Sekunden",
    nameExpects: "1 bis 64 Buchstaben",
    noneState: "(keine)",
  },
  {
    lang: "fr",
    browser: "fr-FR",
    inputs: "Entrées",
    connection: "Connexion",
    notReady: /^(Error: )?La connexion WhatsApp n'est pas prête/,
    noClient: "aucune connexion configurée",
    badWait: "Attendre au plus : de 0 à 3600 secondes",
    nameExpects: "1 à 64 lettres",
    noneState: "(aucune)",
  },
] as const;

/** The config dialogs, each opened from a pipeline node's form, and the choice that shows each kind of it. */
const CONFIG_DIALOGS: { type: string; from: string; field: string; kindField: string; kinds: string[]; askedOf: string[] }[] = [
  {
    type: "wa-client",
    from: "wa-out",
    field: "client",
    kindField: "mode",
    kinds: ["simulator", "whatsapp-web", "baileys", "cloud"],
    askedOf: ["phoneNumberId"],
  },
  {
    type: "wa-store",
    from: "wa-session-lock",
    field: "store",
    kindField: "backend",
    kinds: ["memory", "sqlite", "redis", "redis-sentinel", "redis-cluster"],
    askedOf: [],
  },
  {
    type: "wa-sheets",
    from: "wa-sheets-write",
    field: "sheets",
    kindField: "server",
    kinds: ["google", "demo"],
    askedOf: ["spreadsheetId"],
  },
];

/** Texts of a form that are a catalogue key shown as it is (a key the language's catalogue lacks). */
function rawKeysIn(formSelector: string): string[] {
  return Array.from(document.querySelectorAll(`${formSelector} *`))
    .map((element) => (element.childNodes.length === 1 ? (element.textContent ?? "").trim() : ""))
    .filter((text) => /^wa-[a-z-]+\.[a-zA-Z.-]+$/.test(text));
}

/** Node-RED's own "Started flows" log line in a language (its runtime catalogue). */
function startedFlowsLine(lang: string): string {
  const catalogue = join(repoRoot, "node_modules", "@node-red", "runtime", "locales", lang, "runtime.json");
  return (JSON.parse(readFileSync(catalogue, "utf8")) as { nodes: { flows: { "started-flows": string } } }).nodes.flows["started-flows"];
}

/**
 * The pack in its users' languages, as they run it: Node-RED started with `lang` in settings.js (the runtime's
 * language: the log and Catch texts), and the editor opened by a browser in that language (its forms and help).
 */
describe("the pack's languages in a real Node-RED and editor", function () {
  this.timeout(240_000);
  let browser: Browser | undefined;

  before(function () {
    requirePrerequisite(this, existsSync(CHROMIUM), `no chromium at ${CHROMIUM}; run npm test, which installs it, or set CHROMIUM_PATH`);
    mkdirSync(outputDir, { recursive: true });
  });
  after(async () => {
    await browser?.close();
  });

  for (const language of LANGUAGES) {
    it(`${language.lang}: runtime errors and statuses in the language, the same error code; a form and a help panel without a raw key`, async () => {
      const userDir = mkdtempSync(join(tmpdir(), `wa-lang-${language.lang}-`));
      let runtime: RunningNodeRed | undefined;
      try {
        linkedUserDir(userDir, packageName, `lang: ${JSON.stringify(language.lang)},`);
        runtime = await startNodeRed(userDir, 60_000, {}, startedFlowsLine(language.lang));
        const comms = listenToComms(runtime.url);
        await comms.opened;
        // A wa out with no connection: its status and the error a Catch node gets come from the runtime's catalogue.
        const flows = [
          { id: "lang-tab", type: "tab", label: "languages" },
          {
            id: "lang-inject",
            type: "inject",
            z: "lang-tab",
            props: [{ p: "payload" }],
            payload: "hi",
            payloadType: "str",
            wires: [["lang-out"]],
          },
          { id: "lang-out", type: "wa-out", z: "lang-tab", client: "", chat: "topic", x: 340, y: 80, wires: [[]] },
          // A lock whose wait is out of range: the settings problem in the runtime's language.
          { id: "lang-lock", type: "wa-session-lock", z: "lang-tab", mode: "acquire", wait: "-1", x: 340, y: 140, wires: [[], []] },
          { id: "lang-catch", type: "catch", z: "lang-tab", scope: null, uncaught: false, x: 140, y: 200, wires: [["lang-debug"]] },
          {
            id: "lang-debug",
            type: "debug",
            z: "lang-tab",
            active: true,
            tosidebar: true,
            complete: "error",
            targetType: "msg",
            x: 360,
            y: 200,
            wires: [],
          },
        ];
        const deploy = await fetch(`${runtime.url}/flows`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Node-RED-Deployment-Type": "full" },
          body: JSON.stringify(flows),
        });
        assert.equal(deploy.status, 204, await deploy.text());
        await waitFor(() => comms.messages.some((m) => m.topic === "status/lang-out"), 20_000, "the wa out status");
        const status = comms.messages.filter((m) => m.topic === "status/lang-out").at(-1)!.data as { text?: string };
        assert.match(String(status.text), new RegExp(language.noClient));
        await waitFor(() => comms.messages.some((m) => m.topic === "status/lang-lock"), 20_000, "the lock's status");
        const lockStatus = String((comms.messages.filter((m) => m.topic === "status/lang-lock").at(-1)!.data as { text?: string }).text);
        assert.ok(language.badWait.startsWith(lockStatus.replace(/…$/, "")), `${language.lang}: ${lockStatus}`);
        // The lock also logs the whole text, as the debug sidebar shows it.
        const debugOf = (id: string) => comms.messages.find((m) => m.topic === "debug" && (m.data as { id?: string }).id === id);
        await waitFor(() => debugOf("lang-lock") !== undefined, 20_000, "the lock's logged error");
        assert.equal(String((debugOf("lang-lock")!.data as { msg: unknown }).msg), language.badWait);
        assert.equal((await fetch(`${runtime.url}/inject/lang-inject`, { method: "POST" })).status, 200);
        await waitFor(() => debugOf("lang-debug") !== undefined, 20_000, "the caught error");
        const caught = JSON.parse(String((debugOf("lang-debug")!.data as { msg: string }).msg)) as {
          message: string;
          code?: string;
        };
        assert.match(caught.message, language.notReady);
        assert.ok(caught.message.endsWith(language.noneState), `the connection's state in the language: ${caught.message}`);
        assert.equal(caught.code, "transport.notReady", "the code stays the same in every language");
        comms.close();

        // The editor in the browser's language: a form's labels and the help panel, with no key shown raw.
        browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: language.browser });
        try {
          await page.goto(runtime.url);
          await page.waitForSelector("g[id='lang-out']", { timeout: 60_000 });
          // Every pipeline node's form: its texts from the language's catalogue, none raw, every label on one line.
          const wrapped: string[] = [];
          const raw: string[] = [];
          for (const type of PIPELINE_TYPES) {
            const id = `form-${type}`;
            // As a drop from the palette makes it: every setting at its default.
            const defaults = await page.evaluate((nodeType) => {
              const RED = (
                window as unknown as { RED: { nodes: { getType(type: string): { defaults: Record<string, { value: unknown }> } } } }
              ).RED;
              return Object.fromEntries(Object.entries(RED.nodes.getType(nodeType).defaults).map(([name, entry]) => [name, entry.value]));
            }, type);
            await importIntoEditor(page, [{ ...defaults, id, type, x: 600, y: 700, wires: [] }]);
            await page.evaluate((nodeId) => {
              const RED = (window as unknown as { RED: { editor: { edit(node: unknown): void }; nodes: { node(id: string): unknown } } })
                .RED;
              RED.editor.edit(RED.nodes.node(nodeId));
            }, id);
            await page.locator("#node-dialog-ok").waitFor({ state: "visible" });
            raw.push(...(await page.evaluate(rawKeysIn, "#dialog-form")).map((key) => `${type}: ${key}`));
            wrapped.push(...(await page.evaluate(wrappedLabelsIn, "#dialog-form")).map((label) => `${type}: ${label}`));
            if (type === "wa-out") {
              const labels = await page.evaluate(() =>
                Array.from(document.querySelectorAll("#dialog-form .form-row > label")).map((l) => (l.textContent ?? "").trim()),
              );
              assert.ok(labels.includes(language.connection), `${language.lang}: ${labels.join(" | ")}`);
              // Playwright's trial click waits until the tray has stopped sliding in.
              await page.locator("#node-dialog-ok").click({ trial: true });
              await page.screenshot({ path: join(outputDir, `${language.lang}-wa-out-form.png`) });
            }
            // The config dialogs, opened from a node that names one, in each of their kinds.
            const config = CONFIG_DIALOGS.find((dialog) => dialog.from === type);
            if (config !== undefined) {
              await page.locator(`#node-input-btn-${config.field}-add`).click();
              await page
                .locator("#node-config-dialog-ok")
                .waitFor({ state: "visible" })
                .catch(async (error: unknown) => {
                  await page.screenshot({ path: join(outputDir, `${language.lang}-${config.type}-did-not-open.png`) });
                  throw error;
                });
              await page.locator("#node-config-dialog-ok").click({ trial: true });
              for (const kind of config.kinds) {
                await page.locator(`#node-config-input-${config.kindField}`).selectOption(kind);
                // A new one, at its defaults, is valid except for what only its user can give.
                const refused = await page.evaluate(() =>
                  Array.from(document.querySelectorAll<HTMLElement>("#node-config-dialog-edit-form .input-error"))
                    .filter((input) => input.offsetParent !== null)
                    .map((input) => input.id),
                );
                assert.deepEqual(
                  refused.filter((id) => !config.askedOf.includes(id.replace("node-config-input-", ""))),
                  [],
                  `${config.type} ${kind}: a default refused`,
                );
                raw.push(
                  ...(await page.evaluate(rawKeysIn, "#node-config-dialog-edit-form")).map((key) => `${config.type} ${kind}: ${key}`),
                );
                wrapped.push(
                  ...(await page.evaluate(wrappedLabelsIn, "#node-config-dialog-edit-form")).map(
                    (label) => `${config.type} ${kind}: ${label}`,
                  ),
                );
                await page.screenshot({ path: join(outputDir, `${language.lang}-${config.type}-${kind}.png`) });
              }
              await closeTray(page, "#node-config-dialog-cancel");
            }
            await closeTray(page);
            await page.locator("#node-dialog-ok").waitFor({ state: "detached" });
            await page.evaluate((nodeId) => {
              const RED = (window as unknown as { RED: { nodes: { remove(id: string): void }; view: { redraw(full: boolean): void } } })
                .RED;
              RED.nodes.remove(nodeId);
              RED.view.redraw(true);
            }, id);
          }
          assert.deepEqual(raw, [], "no key shown raw in a form or a config dialog");
          // What a form's check says of a value it refuses (the input's tooltip), in the editor's language.
          const refusals = await page.evaluate(() => {
            type Validate = (this: Record<string, unknown>, value: unknown, options: object) => boolean | string;
            const RED = (
              window as unknown as { RED: { nodes: { getType(type: string): { defaults: Record<string, { validate: Validate }> } } } }
            ).RED;
            const lock = RED.nodes.getType("wa-session-lock").defaults;
            return {
              wait: lock.wait.validate.call({}, "-1", {}),
              lockName: lock.lockName.validate.call({}, "no spaces here", {}),
              onTimeout: lock.onTimeout.validate.call({}, "later", {}),
            };
          });
          assert.equal(refusals.wait, language.badWait);
          assert.ok(String(refusals.lockName).includes(language.nameExpects), `${language.lang}: ${String(refusals.lockName)}`);
          assert.match(String(refusals.onTimeout), /output, error/);
          assert.doesNotMatch(JSON.stringify(refusals), /\b(one of|expected|to \d|seconds)\b/, "no English left in a refusal");
          assert.deepEqual(wrapped, [], "every label of a form or a config dialog fits on one line");
          await page.locator("g[id='lang-out'] rect.red-ui-flow-node").click();
          await page.locator("#red-ui-tab-help-link-button").click();
          const help = page.locator(".red-ui-help", { hasText: "wa.sent" }).first();
          await help.waitFor({ state: "visible" });
          const helpText = await help.innerText();
          assert.ok(helpText.length > 200, "the help panel shows the node's help");
          // wa out's help is translated (nodes/locales/<lang>/wa-out.html): its sections are headed in the language.
          assert.match(helpText, new RegExp(`\\b${language.inputs}\\b`), `${language.lang}: the help in the language`);
          await help.click({ trial: true });
          assert.doesNotMatch(helpText, /\bwa-[a-z-]+\.(label|hint|outputs|placeholder)\.[a-zA-Z]+/, "no key shown raw in the help");
          await page.screenshot({ path: join(outputDir, `${language.lang}-wa-out-help.png`) });
        } finally {
          await page.close();
        }
      } finally {
        await runtime?.stop();
        rmSync(userDir, { recursive: true, force: true });
      }
    });
  }
});
