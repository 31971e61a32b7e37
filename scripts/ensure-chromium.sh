#!/usr/bin/env bash
# The editor tests drive Debian's chromium (Playwright's own browser download cannot work offline).
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "» installing chromium from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "» chromium not found at $chromium and cannot install it here (needs root and apt-get);"
  echo "  install it (apt-get install chromium) or set CHROMIUM_PATH, or the editor tests are skipped."
fi
