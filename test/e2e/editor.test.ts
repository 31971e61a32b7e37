import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser, Page, chromium } from "playwright-core";
import sharp from "sharp";
import { PALETTE_STAGES, paletteStageOf } from "../../src/nodes/schemas/palette";
import { RunningNodeRed, getJson, listenToComms, repoRoot, startNodeRed, waitFor } from "./runtime";
import { requirePrerequisite } from "../support/prerequisite";
import { PIPELINE_TYPES, closeTray, importIntoEditor, wrappedLabelsIn } from "./editor-helpers";
import { schemasByType } from "../../src/nodes/schemas";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const outputDir = join(repoRoot, "test-output");
/** The screenshots the README and docs/ show: taken on every run, copied into docs/images by `npm run docs:images`. */
const docsImagesDir = join(outputDir, "docs-images");

async function docsScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(docsImagesDir, { recursive: true });
  await page.screenshot({ path: join(docsImagesDir, `${name}.png`) });
}
// A page in a closed network: Chromium must not try to reach anything but the editor.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/**
 * The editor as a person would show it: notifications and tooltips closed, the mouse out of the way, and the
 * tab's flow zoomed to fit the canvas when asked (zoom-reset afterwards gives the editor back as it was).
 */
async function tidyView(page: Page, fitFlow: boolean): Promise<void> {
  await page.mouse.move(700, 895);
  await page.evaluate((fit) => {
    document.querySelectorAll(".red-ui-notification, .red-ui-popover").forEach((element) => element.remove());
    if (!fit) return;
    const RED = (
      window as unknown as {
        RED: {
          actions: { invoke(name: string): void };
          view: { scale(): number };
          workspaces: { active(): string };
          nodes: { filterNodes(filter: { z: string }): { x: number; y: number; w?: number }[] };
        };
      }
    ).RED;
    const nodes = RED.nodes.filterNodes({ z: RED.workspaces.active() });
    const left = Math.min(...nodes.map((node) => node.x - (node.w ?? 100) / 2)) - 20;
    const right = Math.max(...nodes.map((node) => node.x + (node.w ?? 100) / 2)) + 20;
    const top = Math.min(...nodes.map((node) => node.y)) - 50;
    const bottom = Math.max(...nodes.map((node) => node.y)) + 40;
    const chart = document.getElementById("red-ui-workspace-chart")!;
    const fitting = Math.min(1, chart.clientWidth / (right - left), chart.clientHeight / (bottom - top));
    // The editor zooms in steps of 0.1 from 1.
    RED.actions.invoke("core:zoom-reset");
    for (let scale = 1; scale > fitting + 1e-9 && scale > 0.35; scale -= 0.1) RED.actions.invoke("core:zoom-out");
    const scale = RED.view.scale();
    chart.scrollTo(Math.max(0, left * scale), Math.max(0, top * scale));
  }, fitFlow);
  // The view redraws on the next animation frames.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** Opens the quick start's wa in node and, from it, its simulator connection's dialog. */
async function openSimulatorDialog(page: Page): Promise<void> {
  const waInId = await page.evaluate(() => {
    let id = "";
    (window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string; type: string }) => void): void } } }).RED.nodes.eachNode((n) => {
      if (n.type === "wa-in") id = n.id;
    });
    return id;
  });
  await page.locator(`g[id='${waInId}'] rect.red-ui-flow-node`).dblclick();
  await page.locator("#node-input-btn-client-edit").click();
}

/** The editor as a person uses it: Debian's chromium driven by Playwright against a real runtime. */
async function waitForRuntime(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the runtime did not get the deployed flow in time");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("the pack in the Node-RED editor (chromium)", function () {
  this.timeout(180_000);
  let runtime: RunningNodeRed;
  let browser: Browser;
  let page: Page;
  let userDir: string;

  before(async function () {
    requirePrerequisite(this, existsSync(CHROMIUM), `no chromium at ${CHROMIUM}; run npm test, which installs it, or set CHROMIUM_PATH`);
    mkdirSync(outputDir, { recursive: true });
    userDir = mkdtempSync(join(tmpdir(), "wa-editor-"));
    execFileSync(process.execPath, [join(repoRoot, "scripts", "prepare-user-dir.mjs"), userDir], { stdio: "ignore" });
    runtime = await startNodeRed(userDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(runtime.url);
    await page.waitForSelector(".red-ui-palette-node[data-palette-type='wa-session-lock']", { timeout: 60_000 });
    await page.waitForSelector("g.red-ui-flow-node-group", { timeout: 30_000 });
    assert.deepEqual(pageErrors, [], "the editor loads the pack's scripts without errors");
  });

  // A dialog left open (a tray still sliding when its cancel was clicked) would shade the canvas for every later test.
  afterEach(async () => {
    for (const cancel of ["#node-config-dialog-cancel", "#node-dialog-cancel"]) {
      const button = page?.locator(cancel);
      if (button && (await button.isVisible().catch(() => false))) {
        // It may already be closing on its own: then the click finds nothing, which is fine.
        await button.click({ timeout: 2_000 }).catch(() => undefined);
        await button.waitFor({ state: "detached", timeout: 10_000 }).catch(() => undefined);
      }
    }
  });

  after(async () => {
    await browser?.close();
    await runtime?.stop();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });

  it("shows the pack's nodes in one palette category per stage, in pipeline order, each with its icon", async () => {
    const headers = await page.locator(".red-ui-palette-header").allInnerTexts();
    const ours = headers.map((text) => text.trim()).filter((text) => PALETTE_STAGES.some((stage) => stage.category === text));
    assert.deepEqual(
      ours,
      PALETTE_STAGES.map((stage) => stage.category),
      "the stages' categories, in the order a message goes through them",
    );
    for (const type of PIPELINE_TYPES) {
      const category = page.locator(".red-ui-palette-category", {
        has: page.locator(".red-ui-palette-header", { hasText: new RegExp(`^\\s*${paletteStageOf(type)!.category}\\s*$`) }),
      });
      const paletteNode = category.locator(`.red-ui-palette-node[data-palette-type='${type}']`);
      assert.equal(await paletteNode.count(), 1, `${type} is in its stage's category`);
      const icon = await paletteNode.locator(".red-ui-palette-icon").evaluate((el) => getComputedStyle(el).backgroundImage);
      assert.match(icon, new RegExp(`icons/@wapipe/node-red-whatsapp-pipeline/${type}\\.svg`), `${type} icon`);
      const label = paletteNode.locator(".red-ui-palette-label");
      const lines = await label.evaluate((el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top))).size;
      });
      assert.equal(lines, 1, `${type}'s palette label fits on one line`);
    }
    const category = page.locator(".red-ui-palette-category", {
      has: page.locator(".red-ui-palette-header", { hasText: "WA understanding" }),
    });
    const iconLoads = await page.evaluate(async (types) => {
      const results = await Promise.all(
        types.map((type) => fetch(`icons/@wapipe/node-red-whatsapp-pipeline/${type}.svg`).then((r) => r.status)),
      );
      return results;
    }, PIPELINE_TYPES);
    assert.deepEqual(
      iconLoads,
      PIPELINE_TYPES.map(() => 200),
    );
    await category.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(outputDir, "editor-palette.png") });
    await docsScreenshot(page, "palette");
  });

  it("opens a lock node's edit dialog with its form, and validates it", async () => {
    const lockNodeId = await page.evaluate(() => {
      let id = "";
      (
        window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string; type: string; mode: string }) => void): void } } }
      ).RED.nodes.eachNode((n) => {
        if (n.type === "wa-session-lock" && n.mode === "acquire") id = n.id;
      });
      return id;
    });
    assert.ok(lockNodeId, "the quick-start flow has an acquiring lock");
    await page.locator(`g[id='${lockNodeId}'] rect.red-ui-flow-node`).dblclick();
    const lockName = page.locator("#node-input-lockName");
    await lockName.waitFor({ state: "visible" });
    await docsScreenshot(page, "edit-dialog");
    assert.equal(await lockName.inputValue(), "default");
    assert.equal(await page.locator("#node-input-ttl").inputValue(), "30");
    assert.equal(await page.locator("#node-input-mode").inputValue(), "acquire");
    assert.ok(
      await page
        .locator("label[for='node-input-ttl']")
        .innerText()
        .then((t) => /Expire after/.test(t)),
      "labels come from the locale file",
    );

    await page.locator("#node-input-ttl").fill("-5");
    await page.locator("#node-input-ttl").dispatchEvent("change");
    await page.waitForFunction(() => document.querySelector("#node-input-ttl")?.classList.contains("input-error"));
    await page.locator("#node-input-mode").selectOption("release");
    assert.equal(await page.locator("#node-input-ttl").isVisible(), false, "release mode hides the acquire settings");
    await page.screenshot({ path: join(outputDir, "editor-edit-dialog.png") });
    await closeTray(page);
    await lockName.waitFor({ state: "detached" });
  });

  it("opens every pipeline node's dialog: an input per setting, filled with its schema default, every text translated, no label wrapped", async () => {
    const wrappedLabels: string[] = [];
    // Fields a form sets from its own script rather than from an input of their name (see the form-rows test).
    const setByScript = new Set(["wa-entities.types", "wa-thread.topicsInGroups"]);
    for (const type of PIPELINE_TYPES) {
      const id = `dialog-${type}`;
      // As a drop from the palette makes it: every setting at its default.
      const defaults = await page.evaluate((nodeType) => {
        const RED = (window as unknown as { RED: { nodes: { getType(type: string): { defaults: Record<string, { value: unknown }> } } } })
          .RED;
        return Object.fromEntries(Object.entries(RED.nodes.getType(nodeType).defaults).map(([name, entry]) => [name, entry.value]));
      }, type);
      await importIntoEditor(page, [{ ...defaults, id, type, x: 600, y: 700, wires: [] }]);
      await page.evaluate((nodeId) => {
        const RED = (window as unknown as { RED: { editor: { edit(node: unknown): void }; nodes: { node(id: string): unknown } } }).RED;
        RED.editor.edit(RED.nodes.node(nodeId));
      }, id);
      await page.locator("#node-dialog-ok").waitFor({ state: "visible" });
      const fields = Object.entries(schemasByType[type])
        .filter(([name, field]) => !setByScript.has(`${type}.${name}`) && field.kind !== "config")
        .map(([name, field]) => ({
          name,
          expected: field.kind === "number" && field.optional === true ? "" : String(field.default),
          checkbox: field.kind === "boolean",
        }));
      const form = await page.evaluate((wanted) => {
        const read: Record<string, string | null> = {};
        for (const { name, checkbox } of wanted) {
          const input = document.querySelector<HTMLInputElement>(`#node-input-${name}`);
          read[name] = input === null ? null : checkbox ? String(input.checked) : input.value;
        }
        const untranslated = Array.from(document.querySelectorAll("#dialog-form [data-i18n]"))
          .filter((element) => /^wa-[a-z-]+\.[a-zA-Z.-]+$/.test((element.textContent ?? "").trim()) || element.textContent === "")
          .filter((element) => !(element.getAttribute("data-i18n") ?? "").startsWith("["))
          .map((element) => element.getAttribute("data-i18n"));
        return { read, untranslated };
      }, fields);
      wrappedLabels.push(...(await page.evaluate(wrappedLabelsIn, "#dialog-form")).map((label) => `${type}: ${label}`));
      assert.deepEqual(
        form.read,
        Object.fromEntries(fields.map((field) => [field.name, field.expected])),
        `${type}: the form's inputs hold the schema's defaults`,
      );
      assert.deepEqual(form.untranslated, [], `${type}: every text of the form comes from the locale file`);
      await closeTray(page);
      await page.locator("#node-dialog-ok").waitFor({ state: "detached" });
      await page.evaluate((nodeId) => {
        const RED = (window as unknown as { RED: { nodes: { remove(id: string): void }; view: { redraw(full: boolean): void } } }).RED;
        RED.nodes.remove(nodeId);
        RED.view.redraw(true);
      }, id);
    }
    assert.deepEqual(wrappedLabels, [], "every form label fits on one line");
  });

  it("gives an intent node's examples editor the height the dialog has room for, and hides it for the built-in model", async () => {
    const defaults = await page.evaluate(() => {
      const RED = (window as unknown as { RED: { nodes: { getType(type: string): { defaults: Record<string, { value: unknown }> } } } })
        .RED;
      return Object.fromEntries(Object.entries(RED.nodes.getType("wa-intent").defaults).map(([name, entry]) => [name, entry.value]));
    });
    await importIntoEditor(page, [{ ...defaults, id: "intent-e2e", type: "wa-intent", x: 400, y: 640, wires: [[]] }]);
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: { editor: { edit(node: unknown): void }; nodes: { node(id: string): unknown } } }).RED;
      RED.editor.edit(RED.nodes.node("intent-e2e"));
    });
    await page.locator("#node-dialog-ok").waitFor({ state: "visible" });
    const examples = page.locator("#node-input-examples-editor");
    // Grown past the 220 px it used to be fixed at, down to the last row: no empty space under the form.
    const spaceBelow = () =>
      page.evaluate(() => {
        const form = document.querySelector("#dialog-form")!.getBoundingClientRect();
        const rows = Array.from(document.querySelectorAll<HTMLElement>("#dialog-form > div")).filter((row) => row.offsetParent !== null);
        return form.bottom - Math.max(...rows.map((row) => row.getBoundingClientRect().bottom));
      });
    await waitFor(
      async () => ((await examples.boundingBox())?.height ?? 0) > 220 && (await spaceBelow()) < 60,
      10_000,
      "the examples editor grown to the dialog",
    );
    await page.screenshot({ path: join(outputDir, "editor-intent-dialog.png") });
    assert.equal(await page.locator("#node-input-threshold").inputValue(), "0.5");
    await page.locator("#node-input-model").selectOption("business");
    assert.equal(await examples.isVisible(), false, "no examples for the built-in model");
    assert.equal(
      await page.locator("#node-input-threshold").inputValue(),
      "0",
      "the built-in model's own fallback threshold, chosen by CV",
    );
    await closeTray(page);
    await page.locator("#node-dialog-ok").waitFor({ state: "detached" });
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: { nodes: { remove(id: string): void }; view: { redraw(full: boolean): void } } }).RED;
      RED.nodes.remove("intent-e2e");
      RED.view.redraw(true);
    });
  });

  it("fills a degrade node's form from its settings schema and checks it with the runtime's own rules", async () => {
    await importIntoEditor(page, [{ id: "degrade-e2e", type: "wa-degrade", x: 400, y: 640, wires: [[], [], [], []] }]);
    const shown = await page.evaluate(() => {
      type Def = { defaults: Record<string, { value: unknown }>; label: (this: unknown) => string };
      const RED = (window as unknown as { RED: { nodes: { node(id: string): { _def: Def } } } }).RED;
      const node = RED.nodes.node("degrade-e2e");
      const { defaults, label } = node._def;
      return {
        recoverSeconds: defaults.recoverSeconds.value,
        reducedBelowScore: defaults.reducedBelowScore.value,
        label: label.call(node),
      };
    });
    assert.deepEqual(
      shown,
      { recoverSeconds: 30, reducedBelowScore: 70, label: "degrade" },
      "defaults from the schema, label from the locale file",
    );
    // The quick start's nodes are labelled from their locale files too, with their settings filled in.
    const labels = await page.evaluate(() => {
      const found: Record<string, string> = {};
      type Labelled = { type: string; mode?: string; _def: { label: (this: unknown) => string } };
      const RED = (
        window as unknown as { RED: { nodes: { eachNode(cb: (n: Labelled) => void): void; eachConfig(cb: (n: Labelled) => void): void } } }
      ).RED;
      // No named function in here: the test runner's helpers for names do not exist in the page.
      for (const each of [RED.nodes.eachNode, RED.nodes.eachConfig]) {
        each((n) => {
          if (["wa-session-lock", "wa-message-queue", "wa-client"].includes(n.type))
            found[`${n.type}:${n.mode ?? ""}`] = n._def.label.call(n);
        });
      }
      return found;
    });
    assert.deepEqual(
      [labels["wa-session-lock:acquire"], labels["wa-message-queue:enqueue"], labels["wa-client:simulator"]],
      ["lock chat", "queue per chat", "WhatsApp simulator"],
    );
    await page.locator("g[id='degrade-e2e'] rect.red-ui-flow-node").dblclick();
    const minimal = page.locator("#node-input-minimalBelowScore");
    await minimal.waitFor({ state: "visible" });
    const hasError = (id: string) =>
      page.evaluate((selector) => document.querySelector(selector)?.classList.contains("input-error") === true, `#node-input-${id}`);
    // Minimal above reduced: refused, as the runtime refuses it; raising reduced clears it.
    await minimal.fill("80");
    await minimal.dispatchEvent("change");
    await page.waitForFunction(() => document.querySelector("#node-input-minimalBelowScore")?.classList.contains("input-error"));
    await page.locator("#node-input-reducedBelowScore").fill("90");
    await page.locator("#node-input-reducedBelowScore").dispatchEvent("change");
    await minimal.dispatchEvent("change");
    await page.waitForFunction(() => !document.querySelector("#node-input-minimalBelowScore")?.classList.contains("input-error"));
    await page.locator("#node-input-recoverSeconds").fill("4000");
    await page.locator("#node-input-recoverSeconds").dispatchEvent("change");
    await page.waitForFunction(() => document.querySelector("#node-input-recoverSeconds")?.classList.contains("input-error"));
    assert.equal(await hasError("reducedBelowScore"), false);
    await closeTray(page);
    await minimal.waitFor({ state: "detached" });
    await page.evaluate(() => {
      const RED = (
        window as unknown as {
          RED: {
            nodes: { node(id: string): unknown; remove(id: string): void; dirty(d: boolean): void };
            view: { redraw(full: boolean): void };
          };
        }
      ).RED;
      RED.nodes.remove("degrade-e2e");
      RED.view.redraw(true);
    });
  });

  it("shows the queue's wait for room only with the block policy, and validates it", async () => {
    const queueNodeId = await page.evaluate(() => {
      let id = "";
      (
        window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string; type: string; mode: string }) => void): void } } }
      ).RED.nodes.eachNode((n) => {
        if (n.type === "wa-message-queue" && n.mode === "enqueue") id = n.id;
      });
      return id;
    });
    await page.locator(`g[id='${queueNodeId}'] rect.red-ui-flow-node`).dblclick();
    const overflow = page.locator("#node-input-overflow");
    await overflow.waitFor({ state: "visible" });
    assert.equal(await page.locator("#node-input-blockWait").isVisible(), false, "hidden while the policy is refuse");
    await overflow.selectOption("block");
    await page.locator("#node-input-blockWait").waitFor({ state: "visible" });
    assert.equal(await page.locator("#node-input-blockWait").inputValue(), "30");
    await page.locator("#node-input-blockWait").fill("0");
    await page.locator("#node-input-blockWait").dispatchEvent("change");
    await page.waitForFunction(() => document.querySelector("#node-input-blockWait")?.classList.contains("input-error"));
    await page.screenshot({ path: join(outputDir, "editor-queue-block.png") });
    await closeTray(page);
    await overflow.waitFor({ state: "detached" });
  });

  it("shows a WhatsApp Web connection's pairing state, live from the runtime, in its config dialog", async () => {
    // As a person does it: add a WhatsApp Web connection and a wa out using it, deploy, then edit the connection
    // from the wa out node's pencil button. Here the session cannot reach WhatsApp Web.
    const webClient = {
      id: "5e7a9c1b3d2f4e60",
      type: "wa-client",
      name: "my number",
      mode: "whatsapp-web",
      chromiumPath: CHROMIUM,
      headless: true,
      browserArgs: "",
      includeOwn: false,
      pairingPhone: "",
    };
    const webOut = {
      id: "5e7a9c1b3d2f4e61",
      type: "wa-out",
      client: webClient.id,
      chat: "wa.message.chatId",
      quote: false,
      x: 200,
      y: 600,
      wires: [[]],
    };
    await importIntoEditor(page, [webOut], [webClient]);
    await page.locator("#red-ui-header-button-deploy").click();
    await waitForRuntime(async () => (await getJson<{ id: string }[]>(`${runtime.url}/flows`)).some((n) => n.id === webClient.id));
    await page.locator(`g[id='${webOut.id}'] rect.red-ui-flow-node`).dblclick();
    await page.locator("#node-input-btn-client-edit").click();
    await page.waitForFunction(
      () => /cannot reach WhatsApp Web|did not load/.test(document.querySelector("#wa-client-pairing-state")?.textContent ?? ""),
      undefined,
      { timeout: 60_000 },
    );
    assert.equal(await page.locator("#node-config-input-phoneNumberId").isVisible(), false, "Cloud API fields are hidden for WhatsApp Web");
    assert.equal(await page.locator("#wa-client-pairing-restart").isVisible(), true);
    await page.waitForTimeout(500); // the tray slides in; the screenshot is for people, not for the assertions
    await page.screenshot({ path: join(outputDir, "editor-whatsapp-web-pairing.png") });
    await closeTray(page, "#node-config-dialog-cancel");
    await closeTray(page);
  });

  it("sends a message by hand from the simulator's dialog into the running flow", async () => {
    // What the flow's debug nodes show, as the editor's debug sidebar gets it.
    const comms = listenToComms(runtime.url);
    await comms.opened;
    const repliesDebug = await page.evaluate(() => {
      let id = "";
      (
        window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string; type: string; name?: string }) => void): void } } }
      ).RED.nodes.eachNode((n) => {
        if (n.type === "debug" && n.name === "replies") id = n.id;
      });
      return id;
    });
    assert.ok(repliesDebug, "the quick start has its replies debug node");
    await openSimulatorDialog(page);
    assert.deepEqual(
      await page.evaluate(wrappedLabelsIn, "#node-config-dialog-edit-form"),
      [],
      "every label of the connection's form fits on one line",
    );
    // Buttons of the editor's usual size, not the small ones of a toolbar.
    for (const delivery of ["normal", "duplicate", "outOfOrder"]) {
      const box = await page.locator(`.wa-client-inject[data-delivery='${delivery}']`).boundingBox();
      assert.ok(box && box.height >= 30 && box.width >= 60, `the ${delivery} button is ${box?.width} × ${box?.height} px`);
    }
    await page.locator("#wa-client-inject-text").fill("Hello from the editor test");
    await page.locator(".wa-client-inject[data-delivery='duplicate']").click();
    // Success or the runtime's refusal, whichever shows first, so a failure says why (the runtime may still be busy
    // with the WhatsApp Web session the previous test deployed).
    const answer = page.locator(".red-ui-notification", { hasText: /Delivered|No deployed|rror/ }).last();
    await answer.waitFor({ state: "visible", timeout: 30_000 });
    assert.match(String(await answer.textContent()), /Delivered 2 message\(s\) to the flow/);
    // The flow took it through to its reply: the replies debug node shows a reply to this very text.
    const replied = () =>
      comms.messages.filter(
        (m) => m.topic === "debug" && m.data.id === repliesDebug && String(m.data.msg).includes("Hello from the editor test"),
      );
    try {
      await waitFor(() => replied().length >= 1, 30_000, "the flow's reply to the message typed by hand");
    } finally {
      comms.close();
    }
    // Enter in the text sends it once.
    await page.locator("#wa-client-inject-text").fill("And once with Enter");
    await page.locator("#wa-client-inject-text").press("Enter");
    await page
      .locator(".red-ui-notification", { hasText: /Delivered 1 message\(s\) to the flow/ })
      .last()
      .waitFor({ state: "visible", timeout: 30_000 });
    await page.screenshot({ path: join(outputDir, "editor-simulator-inject.png") });
    await page.evaluate(() => document.querySelectorAll(".red-ui-notification").forEach((notification) => notification.remove()));
    await docsScreenshot(page, "simulator-inject");
    await closeTray(page, "#node-config-dialog-cancel");
    await closeTray(page);
  });

  it("shows what a chat or a server sends as text in notifications, and asks before taking a key from another machine", async () => {
    const dialogs: string[] = [];
    const onDialog = (dialog: { message(): string; dismiss(): Promise<void> }) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    };
    page.on("dialog", onDialog);
    // A server that answers the key button with markup where the e-mail should be.
    const keyRequests: string[] = [];
    const hostile = createServer((req, res) => {
      keyRequests.push(req.url ?? "");
      res.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
      res.end(
        JSON.stringify({
          type: "service_account",
          client_email: '<img src=x onerror="window.__pwned=2">',
          private_key: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
          smuggled: "<script>",
        }),
      );
    });
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    const port = (hostile.address() as AddressInfo).port;
    try {
      // 1. The simulator's send-by-hand with a chat id that is markup: the refusal quotes it as text.
      await openSimulatorDialog(page);
      await page.locator("#wa-client-inject-chat").fill(`<img src=x onerror=window.__pwned=1>${"9".repeat(130)}`);
      await page.locator("#wa-client-inject-text").fill("hi");
      await page.locator(".wa-client-inject[data-delivery='normal']").click();
      const refusal = page.locator(".red-ui-notification", { hasText: "Invalid chat id" }).last();
      await refusal.waitFor({ state: "visible", timeout: 15_000 });
      assert.match(
        String(await refusal.textContent()),
        /Invalid chat id: <img src=x onerror=window\.__pwned=1>/,
        "the markup is shown as text",
      );
      assert.equal(await refusal.locator("img").count(), 0, "no element was made from it");
      await closeTray(page, "#node-config-dialog-cancel");
      await closeTray(page);

      // 2. The Sheets key button against that server on this machine: the e-mail is text, only the key's fields are kept.
      const writer = {
        id: "7a1b2c3d4e5f6093",
        type: "wa-sheets-write",
        name: "hostile key test",
        sheets: "7a1b2c3d4e5f6094",
        x: 400,
        y: 1300,
        wires: [[], []],
      };
      const sheets = {
        id: "7a1b2c3d4e5f6094",
        type: "wa-sheets",
        name: "hostile",
        spreadsheetId: "sheet-1",
        apiRoot: `http://127.0.0.1:${port}`,
      };
      await importIntoEditor(page, [writer], [sheets]);
      await page.evaluate(
        (id) =>
          (window as unknown as { RED: { editor: { edit(node: unknown): void }; nodes: { node(id: string): unknown } } }).RED.editor.edit(
            (window as unknown as { RED: { nodes: { node(id: string): unknown } } }).RED.nodes.node(id),
          ),
        writer.id,
      );
      await page.locator("#node-input-btn-sheets-edit").click();
      await page.locator("#wa-sheets-emulator-key").click();
      // The send-by-hand refusal above also shows "onerror": this one is told by the key's own markup.
      const done = page.locator(".red-ui-notification", { hasText: "__pwned=2" }).last();
      await done.waitFor({ state: "visible", timeout: 15_000 });
      assert.equal(await done.locator("img").count(), 0);
      await page.waitForFunction(() => ((document.querySelector("#node-config-input-key") as HTMLInputElement | null)?.value ?? "") !== "");
      const key = JSON.parse(await page.locator("#node-config-input-key").inputValue()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(key).sort(), ["client_email", "private_key", "type"], "nothing but the key's own fields");
      assert.equal(dialogs.length, 0, "no question for a server on this machine");

      // 3. The same button against a server named by an address that is not loopback: a question first; declined, nothing is fetched.
      await page.locator("#node-config-input-key").fill("");
      await page.locator("#node-config-input-apiRoot").fill(`http://0.0.0.0:${port}`);
      const before = keyRequests.length;
      await page.locator("#wa-sheets-emulator-key").click();
      await waitForRuntime(async () => dialogs.length === 1, 10_000);
      assert.match(dialogs[0], /is not on this machine/);
      assert.equal(keyRequests.length, before, "declined: the server was not asked");
      assert.equal(await page.locator("#node-config-input-key").inputValue(), "");
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, "no script ran");
      await closeTray(page, "#node-config-dialog-cancel");
      await closeTray(page);
      // Not left for a later test to deploy.
      await page.evaluate(
        (ids) => {
          const RED = (
            window as unknown as {
              RED: { nodes: { remove(id: string): void; dirty(d: boolean): void }; view: { redraw(full: boolean): void } };
            }
          ).RED;
          for (const id of ids) RED.nodes.remove(id);
          RED.view.redraw(true);
        },
        [writer.id, sheets.id],
      );
    } finally {
      page.off("dialog", onDialog);
      await new Promise((resolve) => hostile.close(resolve));
    }
  });

  it("lists a dead letter in the dead-letter node's dialog and replays it from there", async () => {
    const deadLetters = {
      id: "6a1b2c3d4e5f6071",
      type: "wa-dead-letter",
      dlqName: "editor-test",
      autoRetry: false,
      maxAttempts: 5,
      backoffSeconds: 30,
      maxBackoffMinutes: 60,
      settleMinutes: 5,
      maxEntries: 100,
      checkSeconds: 5,
      x: 360,
      y: 700,
      wires: [[], []],
    };
    const failing = {
      id: "6a1b2c3d4e5f6072",
      type: "inject",
      name: "a failed row",
      props: [
        { p: "payload", v: "order 42", vt: "str" },
        { p: "error", v: '{"message":"Google Sheets refused the row: 403","code":"sheets.rejected"}', vt: "json" },
      ],
      repeat: "",
      crontab: "",
      once: false,
      onceDelay: 0.1,
      topic: "",
      x: 140,
      y: 700,
      wires: [[deadLetters.id]],
    };
    await importIntoEditor(page, [deadLetters, failing]);
    await page.locator("#red-ui-header-button-deploy").click();
    await waitForRuntime(async () => (await getJson<{ id: string }[]>(`${runtime.url}/flows`)).some((n) => n.id === deadLetters.id));
    // The saved flow is listed a moment before its nodes are started: the inject node answers 404 until then.
    await waitForRuntime(async () => (await fetch(`${runtime.url}/inject/${failing.id}`, { method: "POST" })).status === 200);
    await page.locator(`g[id='${deadLetters.id}'] rect.red-ui-flow-node`).dblclick();
    const row = page.locator("#wa-dead-letter-entries tr", { hasText: "sheets.rejected: Google Sheets refused the row: 403" });
    await row.waitFor({ state: "visible", timeout: 10_000 });
    assert.match(String(await page.locator("#wa-dead-letter-summary").textContent()), /1 kept: 1 waiting/);
    await row.locator("button[title='Replay']").click();
    await page.waitForFunction(() => /1 replaying/.test(document.querySelector("#wa-dead-letter-summary")?.textContent ?? ""), undefined, {
      timeout: 10_000,
    });
    await page.screenshot({ path: join(outputDir, "editor-dead-letters.png") });
    await closeTray(page);
  });

  it("lists a gallery's chats and media with thumbnails in its dialog, and deletes from there", async () => {
    const photo = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 200, g: 30, b: 60 } } })
      .png()
      .toBuffer();
    const gallery = {
      id: "6a1b2c3d4e5f6081",
      type: "wa-gallery",
      store: "",
      folder: "wa-pipeline/gallery",
      action: "store",
      maxAgeDays: 30,
      maxTotalMegabytes: 100,
      maxFileMegabytes: 1,
      maxPerChat: 100,
      thumbnails: true,
      thumbnailSize: 96,
      x: 360,
      y: 900,
      wires: [[]],
    };
    const sender = {
      id: "6a1b2c3d4e5f6082",
      type: "inject",
      name: "a photo",
      props: [
        { p: "payload", v: JSON.stringify([...photo]), vt: "bin" },
        { p: "chatId", v: "447700900123@c.us", vt: "str" },
        { p: "mimetype", v: "image/png", vt: "str" },
        { p: "filename", v: "red.png", vt: "str" },
      ],
      repeat: "",
      crontab: "",
      once: false,
      onceDelay: 0.1,
      topic: "",
      x: 140,
      y: 900,
      wires: [[gallery.id]],
    };
    await importIntoEditor(page, [gallery, sender]);
    await page.waitForSelector("#red-ui-header-button-deploy:not(.disabled)");
    await page.locator("#red-ui-header-button-deploy").click();
    await waitForRuntime(async () => (await fetch(`${runtime.url}/inject/${sender.id}`, { method: "POST" })).status === 200);
    await waitForRuntime(
      async () => (await getJson<{ chats: unknown[] }>(`${runtime.url}/wa-pipeline/gallery/${gallery.id}/chats`)).chats.length === 1,
    );
    await page.locator(`g[id='${gallery.id}'] rect.red-ui-flow-node`).dblclick();
    const card = page.locator(".wa-gallery-card", { hasText: "red.png" });
    await card.waitFor({ state: "visible", timeout: 10_000 });
    assert.match(String(await page.locator("#wa-gallery-summary").textContent()), /1 chats/);
    assert.ok(
      await card.locator("img").evaluate((img) => (img as HTMLImageElement).naturalWidth === 96),
      "the thumbnail is shown, 96 px wide",
    );
    await page.screenshot({ path: join(outputDir, "editor-gallery.png") });
    await card.locator("button").click();
    await card.waitFor({ state: "detached", timeout: 10_000 });
    assert.deepEqual((await getJson<{ chats: unknown[] }>(`${runtime.url}/wa-pipeline/gallery/${gallery.id}/chats`)).chats, []);
    await closeTray(page);
  });

  it("shows a transcribe node's fields by engine, validates its language per engine and its limits, and keeps its keys out of the flow", async () => {
    const transcribe = {
      id: "7b2c3d4e5f607182",
      type: "wa-transcribe",
      engine: "offline",
      language: "en-US",
      grammar: "digits",
      phrases: "",
      endpoint: "",
      model: "",
      poolSize: 1,
      timeoutSeconds: 60,
      maxSeconds: 120,
      maxMegabytes: 16,
      useAsText: true,
      x: 360,
      y: 800,
      wires: [[]],
    };
    await importIntoEditor(page, [transcribe]);
    await page.locator(`g[id='${transcribe.id}'] rect.red-ui-flow-node`).dblclick();
    const engine = page.locator("#node-input-engine");
    await engine.waitFor({ state: "visible" });
    assert.equal(await page.locator("#node-input-phrases").isVisible(), false, "no phrase list for the digits grammar");
    assert.equal(await page.locator("#node-input-googleKey").isVisible(), false);
    assert.equal(await page.locator("#node-input-adaptList").isVisible(), true, "the offline engine can be adapted to the callers' voices");
    await page.locator("#node-input-grammar").selectOption("phrases");
    await page.locator("#node-input-phrases").waitFor({ state: "visible" });
    await page.locator("#node-input-language").fill("pt-BR");
    await page.locator("#node-input-language").dispatchEvent("change");
    await page.waitForFunction(() => document.querySelector("#node-input-language")?.classList.contains("input-error"));
    await engine.selectOption("google");
    await page.locator("#node-input-googleKey").waitFor({ state: "visible" });
    assert.equal(await page.locator("#node-input-grammar").isVisible(), false, "the grammar is the offline engine's");
    assert.equal(await page.locator("#node-input-adaptList").isVisible(), false, "and so is adapting to voices");
    await page.locator("#node-input-language").dispatchEvent("change");
    await page.waitForFunction(() => !document.querySelector("#node-input-language")?.classList.contains("input-error"));
    // Google takes notes longer than its one-minute request (they are sent in pieces), up to the node's 900 s.
    await page.locator("#node-input-maxSeconds").fill("1000");
    await page.locator("#node-input-maxSeconds").dispatchEvent("change");
    await page.waitForFunction(() => document.querySelector("#node-input-maxSeconds")?.classList.contains("input-error"));
    await page.locator("#node-input-maxSeconds").fill("300");
    await page.locator("#node-input-maxSeconds").dispatchEvent("change");
    await page.waitForFunction(() => !document.querySelector("#node-input-maxSeconds")?.classList.contains("input-error"));
    await page.locator("#node-input-googleKey").fill('{"type":"service_account","private_key":"SECRET-IN-TEST"}');
    await page.screenshot({ path: join(outputDir, "editor-transcribe.png") });
    await page.locator("#node-dialog-ok").click();
    await page.locator("#red-ui-header-button-deploy").click();
    await waitForRuntime(async () =>
      (await getJson<{ id: string; engine?: string }[]>(`${runtime.url}/flows`)).some(
        (n) => n.id === transcribe.id && n.engine === "google",
      ),
    );
    const flowsText = JSON.stringify(await getJson(`${runtime.url}/flows`));
    assert.ok(!flowsText.includes("SECRET-IN-TEST"), "the key is kept by Node-RED's credentials, not in the flow");
  });

  it("shows the node's help in the help sidebar", async () => {
    const queueNodeId = await page.evaluate(() => {
      let id = "";
      (
        window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string; type: string; mode: string }) => void): void } } }
      ).RED.nodes.eachNode((n) => {
        if (n.type === "wa-message-queue" && n.mode === "enqueue") id = n.id;
      });
      return id;
    });
    await page.locator(`g[id='${queueNodeId}'] rect.red-ui-flow-node`).click();
    await page.locator("#red-ui-tab-help-link-button").click();
    const help = page.locator(".red-ui-help", { hasText: "A first-in first-out queue per chat" });
    await help.first().waitFor({ state: "visible" });
    const text = await help.first().innerText();
    assert.match(text, /Inputs/);
    assert.match(text, /wa\.session\.queue/);
    await page.screenshot({ path: join(outputDir, "editor-help.png") });
  });

  it("shows a product sheet's range only once a spreadsheet is chosen, the annotated messages only for a tagger of your own, and a gallery's folder only for files on disk", async () => {
    const sheets = {
      id: "8c3d4e5f60718293",
      type: "wa-sheets",
      name: "shop",
      spreadsheetId: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
    };
    const entities = {
      id: "8c3d4e5f60718294",
      type: "wa-entities",
      region: "",
      orderPatterns: "",
      property: "payload",
      products: "",
      productFile: "",
      productSheets: "",
      productRange: "",
      productRefreshMinutes: 10,
      x: 360,
      y: 1000,
      wires: [[]],
    };
    const gallery = {
      id: "8c3d4e5f60718295",
      type: "wa-gallery",
      files: "folder",
      folder: "wa-pipeline/gallery",
      action: "store",
      x: 360,
      y: 1100,
      wires: [[]],
    };
    await importIntoEditor(page, [entities, gallery], [sheets]);
    await page.locator(`g[id='${entities.id}'] rect.red-ui-flow-node`).dblclick();
    const range = page.locator("#node-input-productRange");
    await page.locator("#node-input-productSheets").waitFor({ state: "visible" });
    assert.equal(await range.isVisible(), false, "no range without a spreadsheet");
    await page.locator("#node-input-productSheets").selectOption(sheets.id);
    await range.waitFor({ state: "visible" });
    await page.waitForFunction(() => document.querySelector("#node-input-productRange")?.classList.contains("input-error"));
    await range.fill("Products!A2:A");
    await range.dispatchEvent("change");
    await page.waitForFunction(() => !document.querySelector("#node-input-productRange")?.classList.contains("input-error"));
    await page.screenshot({ path: join(outputDir, "editor-entities-sheet.png") });
    // A flow saved before the tagger existed reads as "off"; "mine" asks for the file of annotated messages.
    const tagger = page.locator("#node-input-tagger");
    const annotated = page.locator("#node-input-annotatedFile");
    assert.equal(await tagger.inputValue(), "off");
    assert.equal(await annotated.isVisible(), false, "no file for the rules alone");
    await tagger.selectOption("file");
    await annotated.waitFor({ state: "visible" });
    await page.waitForFunction(() => document.querySelector("#node-input-annotatedFile")?.classList.contains("input-error"));
    await annotated.fill("shop-annotated.jsonl");
    await annotated.dispatchEvent("change");
    await page.waitForFunction(() => !document.querySelector("#node-input-annotatedFile")?.classList.contains("input-error"));
    await tagger.selectOption("builtIn");
    await annotated.waitFor({ state: "hidden" });
    await closeTray(page);
    await range.waitFor({ state: "detached" });

    await page.locator(`g[id='${gallery.id}'] rect.red-ui-flow-node`).dblclick();
    const folder = page.locator("#node-input-folder");
    await folder.waitFor({ state: "visible" });
    await page.locator("#node-input-files").selectOption("store");
    await folder.waitFor({ state: "hidden" });
    await closeTray(page);
    await folder.waitFor({ state: "detached" });
  });

  it("shows a trained sentiment node's lexicon reading with its English list, and validates a thread node's group size", async () => {
    const sentiment = {
      id: "9d4e5f6071829301",
      type: "wa-sentiment",
      mode: "trained",
      examples: "positive: thanks\nnegative: broken",
      file: "",
      property: "payload",
      x: 360,
      y: 1200,
      wires: [[]],
    };
    const thread = {
      id: "9d4e5f6071829302",
      type: "wa-thread",
      store: "",
      threadName: "threads",
      closeAfterHours: 72,
      resumeAfterMinutes: 30,
      participantMinutes: 30,
      joinSimilarity: 0.2,
      cues: "",
      x: 360,
      y: 1300,
      wires: [[], []],
    };
    const legacyThread = { ...thread, id: "9d4e5f6071829303", topicsInGroups: true, y: 1400 };
    await importIntoEditor(page, [sentiment, thread, legacyThread]);
    await page.locator(`g[id='${sentiment.id}'] rect.red-ui-flow-node`).dblclick();
    const reading = page.locator("#node-input-lexiconReading");
    const english = page.locator("#node-input-englishWords");
    await reading.waitFor({ state: "visible" });
    assert.equal(await reading.isChecked(), true, "on for a node saved before the setting");
    assert.equal(await english.isVisible(), true, "the English list feeds the reading");
    await reading.uncheck();
    await english.waitFor({ state: "hidden" });
    await page.locator("#node-input-mode").selectOption("lexicon");
    await english.waitFor({ state: "visible" });
    assert.equal(await reading.isVisible(), false);
    await closeTray(page);
    await reading.waitFor({ state: "detached" });

    await page.locator(`g[id='${thread.id}'] rect.red-ui-flow-node`).dblclick();
    const writers = page.locator("#node-input-smallGroupWriters");
    await writers.waitFor({ state: "visible" });
    assert.equal(await writers.inputValue(), "6", "the default for a node saved before the setting");
    await writers.fill("2.5");
    await writers.dispatchEvent("change");
    await page.waitForFunction(() => document.querySelector("#node-input-smallGroupWriters")?.classList.contains("input-error"));
    await writers.fill("0");
    await writers.dispatchEvent("change");
    await page.waitForFunction(() => !document.querySelector("#node-input-smallGroupWriters")?.classList.contains("input-error"));
    await closeTray(page);
    await writers.waitFor({ state: "detached" });
    await page.locator(`g[id='${legacyThread.id}'] rect.red-ui-flow-node`).dblclick();
    await writers.waitFor({ state: "visible" });
    assert.equal(await writers.inputValue(), "1000", "ticked 'shared words in groups' meant every group");
    await closeTray(page);
    await writers.waitFor({ state: "detached" });
  });

  it("imports the five-stage pipeline from Import › Examples, deploys it, sees replies and the pipeline sidebar's figures, and turns stage 2 off and on there", async function () {
    this.timeout(300_000);
    const comms = listenToComms(runtime.url);
    await comms.opened;
    try {
      await page.evaluate(() =>
        (window as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke("core:show-examples-import-dialog"),
      );
      const examples = page.locator("#red-ui-clipboard-dialog-import-tab-examples");
      await examples.waitFor({ state: "visible" });
      await examples.locator(".red-ui-treeList-label", { hasText: "@wapipe/node-red-whatsapp-pipeline" }).first().click();
      await examples
        .locator(".red-ui-treeList-label", { hasText: /^five-stage-pipeline$/ })
        .first()
        .click();
      await page.locator("#red-ui-clipboard-dialog-import-opt-new").click();
      await page.locator("#red-ui-clipboard-dialog-ok").click();
      await page.locator("#red-ui-clipboard-dialog-ok").waitFor({ state: "hidden" });
      // Five groups on the new tab, named by stage.
      await page.waitForFunction(() => document.querySelectorAll("g.red-ui-flow-group").length >= 5);
      // Imported nodes follow the mouse until a click puts them down, as a person does; then Deploy lights up.
      const chart = await page.locator("#red-ui-workspace-chart").boundingBox();
      assert.ok(chart);
      await page.mouse.move(chart.x + chart.width / 2, chart.y + chart.height / 2);
      await page.mouse.click(chart.x + chart.width / 2, chart.y + chart.height / 2);
      await page.waitForSelector("#red-ui-header-button-deploy:not(.disabled)");
      await page.locator("#red-ui-header-button-deploy").click();
      await waitForRuntime(
        async () => (await getJson<{ type: string }[]>(`${runtime.url}/flows`)).filter((n) => n.type === "group").length >= 5,
      );
      // Replies reach the debug sidebar: the pipeline answered through all its stages.
      await page.locator("#red-ui-tab-debug-link-button").click();
      await page
        .locator(".red-ui-debug-msg", { hasText: "replies sent" })
        .first()
        .waitFor({ state: "visible", timeout: 120_000 })
        .catch(async (error: Error) => {
          await page.screenshot({ path: join(outputDir, "editor-five-stage-pipeline-failed.png") });
          throw error;
        });
      await page.screenshot({ path: join(outputDir, "editor-five-stage-pipeline.png") });
      const flows = await getJson<{ type: string; name?: string }[]>(`${runtime.url}/flows`);
      assert.equal(flows.filter((node) => node.type === "group").length >= 5, true, "the five stage groups were deployed");

      // The WhatsApp pipeline sidebar: the stages' figures move as the demo chats play.
      // Its tab button may sit in the sidebar's overflow menu: open it by its action, as that menu does.
      await page.evaluate(() =>
        (window as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke("wa-pipeline:show-pipeline-tab"),
      );
      const intelligence = page.locator('.wa-pipeline-stage[data-stage="intelligence"]');
      await intelligence.waitFor({ state: "visible" });
      await page.waitForFunction(
        () => /[1-9]\d* msgs/.test(document.querySelector('.wa-pipeline-stage[data-stage="intelligence"]')?.textContent ?? ""),
        undefined,
        { timeout: 60_000 },
      );
      await page.waitForSelector(".wa-pipeline-chart", { timeout: 30_000 });
      await page.screenshot({ path: join(outputDir, "editor-pipeline-sidebar.png") });
      await tidyView(page, true);
      await docsScreenshot(page, "five-stage-pipeline");
      await page.evaluate(() =>
        (window as unknown as { RED: { actions: { invoke(name: string): void } } }).RED.actions.invoke("core:zoom-reset"),
      );

      // Stage 2 off from its switch: the intent node passes messages by without reading them.
      type Figures = { nodes: { type: string; messages: number; skipped: number }[] };
      const intentFigures = async () =>
        (await getJson<Figures>(`${runtime.url}/wa-pipeline/state`)).nodes.find((node) => node.type === "wa-intent")!;
      await intelligence.locator(".wa-pipeline-switch").click();
      await page.waitForSelector(
        '.wa-pipeline-stage[data-stage="intelligence"][data-health="off"] .wa-pipeline-switch[data-enabled="false"]',
      );
      const atOff = await intentFigures();
      await waitForRuntime(async () => (await intentFigures()).skipped >= atOff.skipped + 2, 60_000);
      const whileOff = await intentFigures();
      assert.equal(whileOff.messages, atOff.messages, "no message read by the intent node while stage 2 is off");
      await page.waitForFunction(() =>
        /passed by while off/.test(document.querySelector('.wa-pipeline-stage[data-stage="intelligence"]')?.textContent ?? ""),
      );
      // Unfolded, the stage lists its nodes with what they passed by; a name reveals the node in the flow.
      await intelligence.locator(".wa-pipeline-details > summary").click();
      await intelligence
        .locator(".wa-pipeline-reveal", { hasText: /intent/i })
        .first()
        .click();
      const shownTotals = await page.locator(".wa-pipeline-totals").textContent();
      await page.waitForFunction((before) => document.querySelector(".wa-pipeline-totals")?.textContent !== before, shownTotals, {
        timeout: 60_000,
      });
      assert.equal(await intelligence.locator(".wa-pipeline-details").getAttribute("open"), "", "stays unfolded across updates");
      await page.screenshot({ path: join(outputDir, "editor-pipeline-sidebar-stage-2-off.png") });
      await tidyView(page, false);
      await docsScreenshot(page, "pipeline-sidebar");

      // And back on: the intent node reads messages again.
      await page.locator('.wa-pipeline-stage[data-stage="intelligence"] .wa-pipeline-switch').click();
      await page.waitForSelector('.wa-pipeline-stage[data-stage="intelligence"] .wa-pipeline-switch[data-enabled="true"]');
      await waitForRuntime(async () => (await intentFigures()).messages > whileOff.messages, 60_000);
    } finally {
      comms.close();
      await fetch(`${runtime.url}/wa-pipeline/stages/intelligence`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ enabled: true }),
      });
      // The pipeline's tab is closed and deployed away, so later tests do not share the machine with it.
      await page.evaluate(() => {
        const RED = (
          window as unknown as {
            RED: { workspaces: { active(): string; delete(id: string): void }; nodes: { dirty(d: boolean): void } };
          }
        ).RED;
        RED.workspaces.delete(RED.workspaces.active());
        RED.nodes.dirty(true);
      });
      await page.locator("#red-ui-header-button-deploy").click();
      await page
        .locator(".red-ui-notification", { hasText: /deployed|confirm/i })
        .first()
        .waitFor({ timeout: 10_000 })
        .catch(() => undefined);
    }
  });
});
