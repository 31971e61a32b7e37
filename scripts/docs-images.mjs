// Copies the screenshots the editor test took for the README and docs/ (test-output/docs-images) into
// docs/images, so the pages show the editor as it is. Run the editor test first:
//   npx mocha test/e2e/editor.test.ts && npm run docs:images
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const taken = join(root, "test-output", "docs-images");
const target = join(root, "docs", "images");
if (!existsSync(taken)) {
  console.error("docs:images: no screenshots in test-output/docs-images; run the editor test first (npx mocha test/e2e/editor.test.ts)");
  process.exit(1);
}
mkdirSync(target, { recursive: true });
const images = readdirSync(taken).filter((name) => name.endsWith(".png"));
for (const name of images) copyFileSync(join(taken, name), join(target, name));
console.log(`docs:images: ${images.length} screenshots copied into docs/images: ${images.join(", ")}`);
