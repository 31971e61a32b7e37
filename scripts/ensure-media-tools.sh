#!/usr/bin/env bash
# The accuracy floors re-run npm run eval, whose voice-note rows synthesise speech with espeak-ng and
# encode it with opusenc (Debian's espeak-ng and opus-tools): without them those rows are missing.
set -euo pipefail
missing() { ! command -v espeak-ng >/dev/null 2>&1 || ! command -v opusenc >/dev/null 2>&1; }
if ! missing; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "» installing espeak-ng and opus-tools from Debian's packages (the eval's synthesised voice notes)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng opus-tools >/dev/null
fi
if missing; then
  echo "» espeak-ng or opusenc not found and not installable here (needs root and apt-get);"
  echo "  install them (apt-get install espeak-ng opus-tools), or the accuracy floors miss the voice-note rows."
  # CI must measure every committed figure: a missing tool fails the run.
  if [ -n "${CI:-}" ]; then exit 1; fi
fi
