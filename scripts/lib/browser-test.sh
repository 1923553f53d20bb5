#!/usr/bin/env bash
# Starts a real `agora serve` (debug build) on a free port over DATABASE_URL, with the
# built web UI, and runs the Playwright (playwright-core + Debian Chromium) tests against it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

cargo build --locked -p agora-cli --bin agora
db="agora_browser_$(date +%s)_$$"
psql_url="$DATABASE_URL"
"${AGORA_PG_BIN:-$PG_BIN_BUNDLED}/psql" "$psql_url" -q -c "CREATE DATABASE $db" >/dev/null
base="${DATABASE_URL%/*}"
# Under scripts/test the server logs everything into the secret canary's folder.
if [ -n "${AGORA_TEST_CAPTURE_DIR:-}" ]; then
  out="$AGORA_TEST_CAPTURE_DIR/browser-serve.log" level=debug
else
  out=$(mktemp /tmp/agora-serve.XXXXXX.log) level=warn
fi
home=$(mktemp -d /tmp/agora-browser-home.XXXXXX)
# Every browser test signs up from this machine: room for all of them in the hour.
DATABASE_URL="$base/$db" AGORA_HOME="$home" AGORA_WEB_DIR="$ROOT/web/dist" AGORA_LOG=$level \
  AGORA_SIGNUPS_PER_ADDRESS_PER_HOUR=1000 \
  "$CARGO_TARGET_DIR/debug/agora" serve --port 0 >"$out" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true; rm -rf "$home"; [ -n "${AGORA_TEST_CAPTURE_DIR:-}" ] || rm -f "$out"' EXIT
url=$(agora_url "$out" "$serve_pid")
note "agora serve at $url"
AGORA_URL="$url" npm --prefix web run --silent e2e
