#!/usr/bin/env bash
# The tool-loop benchmark (issue 17): what one call to an agent's own tool adds to a run.
# An agent on the upstream stub (agora-bench stub, answering at once) without tools, and the
# same agent with the built-in current_time tool asked for 1 and 3 calls, run one at a time
# through POST /v1/runs. Loopback only.
#   bench/tools.sh [seconds per measurement]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$ROOT/scripts/lib/servers.sh"
cd "$ROOT"
seconds=${1:-10}

bash scripts/setup >/dev/null
step "Building agora and agora-bench (bench-fast profile)"
cargo build --locked --profile bench-fast -p agora-cli -p agora-bench
bin="$CARGO_TARGET_DIR/bench-fast"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; stop_servers; }
trap cleanup EXIT
SERVERS_DIR=$(mktemp -d /tmp/agora-tools-bench.XXXXXX)
unset DATABASE_URL REDIS_URL
start_postgres
start_redis

step "Upstream stub and Agora"
stub_port=$(free_port)
"$bin/agora-bench" stub "$stub_port" &
pids+=($!)
wait_for_port "$stub_port" "the upstream stub"
log="$SERVERS_DIR/serve.log"
AGORA_LOG=warn AGORA_HOME="$SERVERS_DIR/home" OPENAI_API_KEY=sk-bench-upstream \
  AGORA_OPENAI_BASE_URL="http://127.0.0.1:$stub_port/v1" AGORA_RATE_LIMIT_PER_MINUTE=1000000 \
  AGORA_RUNS_PER_MINUTE=1000000 AGORA_SIGNUP_CREDITS=1000000 \
  "$bin/agora" serve --port 0 --no-demo >"$log" 2>&1 &
pids+=($!)
agora=$(agora_url "$log")

step "Measuring ($seconds s per scenario)"
"$bin/agora-bench" tools "$agora" "$seconds"
