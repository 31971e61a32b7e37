#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds, checks types and
# style, then runs the engine, node, packaging and editor tests in one mocha run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-media-tools.sh
bash scripts/ensure-redis.sh
node scripts/build.mjs
echo "» type check"
node_modules/.bin/tsc -p tsconfig.json --noEmit
echo "» format"
node_modules/.bin/prettier --check --log-level warn . || { echo "style differs from Prettier's: npm run format"; exit 1; }
echo "» lint"
node_modules/.bin/eslint .
echo "» tests"
node_modules/.bin/mocha 'test/core/**/*.test.ts' 'test/nodes/**/*.test.ts' 'test/e2e/**/*.test.ts' 'test/security/**/*.test.ts' 'test/accuracy/**/*.test.ts'
