#!/usr/bin/env bash
# Starts a local Node-RED with this pack and the quick-start flow: http://127.0.0.1:1880
# The runtime's files live in .node-red-dev/ (flows you change there are kept across restarts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
node scripts/build.mjs --if-changed
node scripts/prepare-user-dir.mjs .node-red-dev
PORT="${PORT:-1880}"
echo "» Node-RED editor: http://127.0.0.1:${PORT}"
exec node node_modules/node-red/red.js --userDir .node-red-dev --port "$PORT"
