#!/usr/bin/env bash
# The editor tests drive Debian's chromium (Playwright's own browser download cannot work offline).
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "» installing chromium from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x "$chromium" ]; then
  echo "» chromium not found at $chromium and could not be installed here (needs root and apt-get);"
  echo "  install it (apt-get install chromium) or set CHROMIUM_PATH, or the editor tests are skipped."
  # CI must run the editor tests: a missing browser fails the run.
  if [ -n "${CI:-}" ]; then exit 1; fi
fi
