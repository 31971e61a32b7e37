#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
export PUPPETEER_SKIP_DOWNLOAD=true
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "» installing dependencies (npm ci: about 780 packages, two to three minutes on a fresh clone)"
  npm ci --no-audit --no-fund
fi
# better-sqlite3 is an optional dependency (the pack runs without it), so npm drops it without a word when
# its native build fails. The embedded store's tests need it: build it again, and say why if that fails too.
if ! node -e "require('better-sqlite3')" 2> /dev/null; then
  version=$(node -p "require('./package-lock.json').packages['node_modules/better-sqlite3'].version")
  echo "» better-sqlite3 ${version} is missing (its build failed during npm ci); building it again"
  npm install --no-save --no-audit --no-fund --foreground-scripts "better-sqlite3@${version}"
  node -e "require('better-sqlite3')" || {
    echo "better-sqlite3 cannot be built here (it needs python3, make and a C++ compiler); the embedded store's tests need it" >&2
    exit 1
  }
fi
