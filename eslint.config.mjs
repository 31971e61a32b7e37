import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

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
);
