import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

// The inline scripts of the forms (nodes/*.html) are linted as the browser runs them: each block becomes a
// virtual script, padded so that a problem is reported on its line of the HTML file.
const formScripts = {
  meta: { name: "wa-pipeline-form-scripts" },
  preprocess(text) {
    const blocks = [];
    for (const match of text.matchAll(/<script type="text\/javascript">\n([\s\S]*?)<\/script>/g)) {
      const line = text.slice(0, match.index).split("\n").length;
      blocks.push({ text: "\n".repeat(line) + match[1], filename: `form-script-${blocks.length}.js` });
    }
    return blocks;
  },
  postprocess(messages) {
    return messages.flat();
  },
  supportsAutofix: false,
};

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test-output/", "bench/results/", ".node-red-dev/", "resources/editor.js"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // Node-RED constructors conventionally name their instance `node` for use in callbacks.
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["node"] }],
    },
  },
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["src/core/**/*.ts"],
    rules: {
      // The engines know nothing of Node-RED, of the adapters or of the tools built on them.
      "no-restricted-imports": [
        "error",
        { patterns: ["node-red", "@node-red/*", "**/nodes/*", "**/nodes/**", "**/batch/*", "**/emulator/*"] },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { ...globals.node } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["test/**/*.ts"],
    languageOptions: { globals: { ...globals.mocha, ...globals.node } },
  },
  { files: ["nodes/*.html"], processor: formScripts },
  {
    files: ["nodes/*.html/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser, RED: "readonly", $: "readonly", WaPipeline: "readonly" },
    },
    rules: {
      "no-var": "off",
      "@typescript-eslint/no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
    },
  },
);
