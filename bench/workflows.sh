#!/usr/bin/env bash
# The workflow benchmark (issue 6): orchestration overhead per step and throughput of
# concurrent runs on the offline model, against an optimised `agora serve` with its
# in-process queue, then again with steps going through moto's SQS (the serve process
# polls the queue like the workflow-worker function would). Loopback only.
#   bench/workflows.sh [concurrent runs]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$ROOT/scripts/lib/servers.sh"
cd "$ROOT"
concurrent=${1:-50}

bash scripts/setup >/dev/null
step "Building agora and agora-bench (bench-fast profile)"
cargo build --locked --profile bench-fast -p agora-cli -p agora-bench
bin="$CARGO_TARGET_DIR/bench-fast"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; stop_servers; }
trap cleanup EXIT
SERVERS_DIR=$(mktemp -d /tmp/agora-bench.XXXXXX)
unset DATABASE_URL REDIS_URL AWS_ENDPOINT_URL QUEUE_URL
start_postgres
start_redis
start_moto

serve() {
  log="$SERVERS_DIR/serve-$1.log"
  shift
  env "$@" AGORA_LOG=warn AGORA_ECHO_DELAY_MS=0 AGORA_RATE_LIMIT_PER_MINUTE=1000000 \
    AGORA_RUNS_PER_MINUTE=1000000 AGORA_MAX_CONCURRENT_RUNS=1000 AGORA_SIGNUP_CREDITS=1000 \
    "$bin/agora" serve --port 0 --no-demo >"$log" 2>&1 &
  pids+=($!)
  url=$(agora_url "$log")
}

step "In-process queue ($concurrent concurrent runs)"
serve in-process
"$bin/agora-bench" workflows "$url" "$concurrent"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

step "Moto's SQS ($concurrent concurrent runs)"
queue_url=$("$TOOLS/venv/bin/python" - <<PY
import boto3
sqs = boto3.client("sqs", endpoint_url="$AWS_ENDPOINT_URL", region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
print(sqs.create_queue(QueueName="agora-bench-steps", Attributes={"VisibilityTimeout": "30"})["QueueUrl"])
PY
)
serve sqs QUEUE_URL="$queue_url" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
"$bin/agora-bench" workflows "$url" "$concurrent"
