#!/usr/bin/env bash
# Starts a local Node-RED with this pack and the quick-start flow: http://127.0.0.1:1880
# The runtime's files live in .node-red-dev/ (flows you change there are kept across restarts).
# Each step says what it does and how long it took: the first start on a fresh clone spends two to
# three minutes in npm ci, later ones a few seconds in all.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step() { echo "» [$((SECONDS - started)) s] $*"; }
step "checking dependencies"
bash scripts/ensure-deps.sh
step "building the pack (skipped when nothing changed)"
node scripts/build.mjs --if-changed
step "preparing the user directory .node-red-dev"
node scripts/prepare-user-dir.mjs .node-red-dev
PORT="${PORT:-1880}"
step "starting Node-RED; the editor will be at http://127.0.0.1:${PORT}"
exec node node_modules/node-red/red.js --userDir .node-red-dev --port "$PORT"
