#!/usr/bin/env bash
# The Redis tests use a real Redis at REDIS_URL (default redis://127.0.0.1:6379). When none answers there,
# a private redis-server is started on that port (installed from Debian's packages when missing and allowed).
# Under CI a Redis that cannot be had fails the run; elsewhere those tests are skipped with the reason.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${url#redis://}"
hostport="${hostport##*@}"
hostport="${hostport%%/*}"
host="${hostport%%:*}"
port="${hostport##*:}"
[ "$port" = "$host" ] && port=6379

answers() {
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  local reply=""
  read -r -t 2 reply <&3 || true
  exec 3>&-
  [[ "$reply" == +PONG* || "$reply" == -NOAUTH* ]]
}

if answers; then exit 0; fi
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "» installing redis-server from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if command -v redis-server >/dev/null 2>&1 && { [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; }; then
  echo "» starting a private redis-server on $host:$port for the tests"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 1 50); do
    if answers; then exit 0; fi
    sleep 0.1
  done
fi
echo "» no Redis answers at $url and none could be started here"
if [ -n "${CI:-}" ]; then exit 1; fi
echo "  the Redis tests are skipped (start one, or set REDIS_URL)"
