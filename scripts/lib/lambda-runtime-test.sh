#!/usr/bin/env bash
# Builds the route functions with cargo-lambda and invokes each on the Lambda Runtime API
# emulator (`cargo lambda watch`) with its API Gateway v2, v1 and ALB events, asserting a
# 200 response. Needs DATABASE_URL (health checks the database).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

port=$(free_port)
log=$(mktemp /tmp/agora-lambda-watch.XXXXXX.log)
# Logs stay outside the crates, or watch would rebuild in a loop on every write.
cargo lambda watch --ignore-changes --invoke-port "$port" --only-lambda-apis >"$log" 2>&1 &
watch_pid=$!
trap 'kill $watch_pid 2>/dev/null; pkill -P $watch_pid 2>/dev/null || true; rm -f "$log"' EXIT
wait_for_port "$port" "cargo lambda watch"

functions=$(sed -n 's/^name = "\(.*\)"$/\1/p' functions/Cargo.toml | grep -v '^agora-functions$')
invocations=0
for fn in $functions; do
  for event in events/"$fn".*.json; do
    # The first invocation of a function compiles it; give it time.
    if ! out=$(cargo lambda invoke --invoke-port "$port" --data-file "$event" "$fn" 2>&1); then
      echo "$out"; tail -50 "$log"; fail "cargo lambda invoke $fn with $event failed"
    fi
    status=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("statusCode"))' 2>/dev/null || echo "?")
    [ "$status" = 200 ] || { echo "$out"; tail -50 "$log"; fail "$fn on $event answered $status, expected 200"; }
    note "$fn  $(basename "$event")  -> 200"
    invocations=$((invocations + 1))
  done
done
note "$invocations invocations on the Lambda runtime emulator: all 200"
