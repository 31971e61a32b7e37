import { Page } from "playwright-core";

/** The pipeline node types whose forms the editor tests open. */
export const PIPELINE_TYPES = [
  "wa-in",
  "wa-out",
  "wa-batch-send",
  "wa-sheets-write",
  "wa-sheets-read",
  "wa-dedupe",
  "wa-dead-letter",
  "wa-ordering",
  "wa-degrade",
  "wa-entities",
  "wa-intent",
  "wa-sentiment",
  "wa-flow-analyzer",
  "wa-thread",
  "wa-ocr",
  "wa-transcribe",
  "wa-document",
  "wa-gallery",
  "wa-session-lock",
  "wa-message-queue",
  "wa-session-state",
  "wa-client-health",
  "wa-health-score",
  "wa-parallel",
  "wa-perf-monitor",
];

/** Adds nodes to the open flow tab (and config nodes beside it) as a paste would, leaving the workspace to deploy. */
export async function importIntoEditor(
  page: Page,
  nodes: Record<string, unknown>[],
  configNodes: Record<string, unknown>[] = [],
): Promise<void> {
  await page.evaluate(
    ([onTab, config]) => {
      const RED = (
        window as unknown as {
          RED: {
            nodes: { import(nodes: unknown[]): void; dirty(d: boolean): void };
            workspaces: { active(): string };
            view: { redraw(full: boolean): void };
          };
        }
      ).RED;
      RED.nodes.import([...config, ...onTab.map((n) => ({ ...n, z: RED.workspaces.active() }))]);
      RED.nodes.dirty(true);
      RED.view.redraw(true);
    },
    [nodes, configNodes],
  );
}

/** The labels of a form that wrap onto a second line: a label that wraps pushes its row out of line with the others. */
export function wrappedLabelsIn(formSelector: string): string[] {
  return (
    Array.from(document.querySelectorAll<HTMLElement>(`${formSelector} .form-row > label`))
      // Checkbox labels carry their own width and may wrap like a sentence.
      .filter((label) => label.offsetParent !== null && !label.hasAttribute("style") && (label.textContent ?? "").trim() !== "")
      .filter((label) => {
        const range = document.createRange();
        range.selectNodeContents(label);
        // The icon and the text sit a pixel or two apart; a second line is a line-height lower.
        const tops = Array.from(range.getClientRects(), (rect) => rect.top).sort((a, b) => a - b);
        return tops.some((top, i) => i > 0 && top - tops[i - 1] > 8);
      })
      .map((label) => (label.textContent ?? "").trim())
  );
}

/**
 * Closes the editor tray by its cancel (or done) button and waits until it is gone. A click that lands while the tray
 * is still sliding in, on a loaded machine, can hit where the button was a frame ago rather than the button, so a tray
 * still open after the click is clicked again.
 */
export async function closeTray(page: Page, buttonSelector = "#node-dialog-cancel"): Promise<void> {
  const button = page.locator(buttonSelector);
  const attempts = 3;
  for (let attempt = 1; ; attempt++) {
    await button.click({ timeout: attempt === 1 ? 30_000 : 5_000 }).catch((error: unknown) => {
      if (attempt === 1) throw error;
    });
    try {
      await button.waitFor({ state: "detached", timeout: 10_000 });
      return;
    } catch (error) {
      if (attempt === attempts) throw error;
    }
  }
}
