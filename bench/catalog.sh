#!/usr/bin/env bash
# The catalog benchmark (issue 4): 100,000 published agents on a throwaway PostgreSQL, an
# optimised `agora serve` (Redis for the listing cache), and agora-bench driving browse,
# keyword and semantic search at concurrency 16 for 20 s each. Loopback only.
#   bench/catalog.sh [agents] [concurrency] [seconds]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$ROOT/scripts/lib/servers.sh"
cd "$ROOT"
agents=${1:-100000}
concurrency=${2:-16}
seconds=${3:-20}

bash scripts/setup >/dev/null
step "Building agora and agora-bench (bench-fast profile)"
cargo build --locked --profile bench-fast -p agora-cli -p agora-bench
bin="$CARGO_TARGET_DIR/bench-fast"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; stop_servers; }
trap cleanup EXIT
SERVERS_DIR=$(mktemp -d /tmp/agora-bench.XXXXXX)
unset DATABASE_URL REDIS_URL
start_postgres
start_redis

step "Seeding $agents synthetic agents"
started=$(date +%s)
AGORA_LOG=warn "$bin/agora" seed --synthetic "$agents"
note "seeded in $(( $(date +%s) - started )) s"

step "Serving"
log="$SERVERS_DIR/serve.log"
AGORA_LOG=warn AGORA_RATE_LIMIT_PER_MINUTE=1000000 "$bin/agora" serve --port 0 --no-demo >"$log" 2>&1 &
pids+=($!)
url=$(agora_url "$log")

step "Measuring ($concurrency concurrent clients, $seconds s per scenario)"
"$bin/agora-bench" catalog "$url" "$concurrency" "$seconds"
