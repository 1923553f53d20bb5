#!/usr/bin/env bash
# The Lambda functions' cold starts and request latency (issue 16), as Lambda's REPORT
# lines give them, on this machine's x86-64 (arm64 binaries cannot run here):
#   1. every function's release binary (scripts/build-functions --x86-64), started on a
#      Runtime API of bench/lambda_runtime.py with nothing to reach (init without network);
#   2. the same binaries with their dependencies on loopback (a throwaway PostgreSQL and
#      Redis): init with what the route pre-connects, and 20 warm invocations of the
#      public routes;
#   3. with --lto: `health` built with thin and with fat LTO beside the
#      release profile (no LTO), for the size/init/latency trade-off in BENCHMARKS.md.
#   bench/lambda.sh [--lto]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$ROOT/scripts/lib/servers.sh"
cd "$ROOT"
lto=false
[ "${1:-}" = --lto ] && lto=true

bash scripts/setup >/dev/null
bash scripts/build-functions --x86-64 >/dev/null
bins="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"
work=$(mktemp -d /tmp/agora-lambda-bench.XXXXXX)
trap 'stop_servers; rm -rf "$work"' EXIT

step "Init without network (every function, configured as template.yaml configures it)"
# The AWS settings every function gets in AWS (credentials and region from the
# environment, as Lambda gives them), so each builds the clients its needs name; no
# database or cache, so nothing connects.
env -i PATH="$PATH" HOME="$work" AGORA_HOME="$work/home" AGORA_LOG=warn AGORA_PROFILE=prod \
  AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true \
  AGORA_SECRET_ID=agora/bench/keys S3_BUCKET=agora-bench KMS_KEY_ID=alias/agora-bench \
  QUEUE_URL=https://sqs.us-east-1.amazonaws.com/000000000000/agora-bench IDEMPOTENCY_TABLE=agora-bench \
  python3 bench/lambda_runtime.py --bin-dir "$bins" --json "$work/offline.json" | grep -v '^REPORT'

step "Init and warm requests with loopback dependencies"
SERVERS_DIR=$(mktemp -d /tmp/agora-lambda-servers.XXXXXX)
unset DATABASE_URL REDIS_URL
start_postgres
start_redis
# Migrated by the development build the tests use (no release build of the CLI needed).
cargo build --locked -p agora-cli --bin agora >/dev/null 2>&1
AGORA_LOG=warn "$CARGO_TARGET_DIR/debug/agora" migrate >/dev/null
# rotate-signing-key reaches Secrets Manager alone: nothing on loopback stands in for it.
reaching_loopback=$(ls functions/src/bin | sed 's/\.rs$//' | grep -vx -e migrate -e rotate-signing-key | paste -sd,)
AGORA_HOME="$work/home" AGORA_LOG=warn python3 bench/lambda_runtime.py --bin-dir "$bins" \
  --functions "$reaching_loopback" --json "$work/loopback.json" | grep -v '^REPORT'
AGORA_HOME="$work/home" AGORA_LOG=warn python3 bench/lambda_runtime.py --bin-dir "$bins" \
  --functions health,agents-list,categories-list,openapi --invocations 20 --json "$work/warm.json" >/dev/null

python3 - "$work" "$CARGO_TARGET_DIR/lambda" <<'EOF'
import json, os, statistics, sys
work, zips = sys.argv[1], sys.argv[2]
offline = {r["function"]: r for r in json.load(open(f"{work}/offline.json"))}
loopback = {r["function"]: r for r in json.load(open(f"{work}/loopback.json"))}
print(f"{'function':28} {'zip MB':>7} {'init ms':>8} {'init ms (loopback)':>19} {'max MB':>7}")
for name in sorted(offline):
    zip_path = os.path.join(zips, name, "bootstrap.zip")
    size = os.path.getsize(zip_path) / 1048576 if os.path.exists(zip_path) else float("nan")
    o, l = offline[name], loopback.get(name, {})
    print(f"{name:28} {size:7.2f} {o.get('init_ms', float('nan')):8.1f} {l.get('init_ms', float('nan')):19.1f} {l.get('max_memory_mb', 0):7}")
for r in json.load(open(f"{work}/warm.json")):
    warm = sorted(i["ms"] for i in r["invocations"][1:])
    print(f"{r['function']}: first {r['invocations'][0]['ms']:.2f} ms, warm p50 {statistics.median(warm):.2f} ms, "
          f"max {warm[-1]:.2f} ms (status {r['invocations'][-1]['status']})")
EOF

if $lto; then
  step "LTO: release (none) against thin and fat, health"
  for profile in release lambda-thin-lto lambda-fat-lto; do
    started=$(date +%s)
    cargo build --locked --profile "$profile" --target x86_64-unknown-linux-gnu -p agora-functions --bin health >/dev/null 2>&1
    built=$(($(date +%s) - started))
    dir="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/$profile"
    for fn in health; do
      (cd "$dir" && rm -f "$work/$fn.zip" && python3 -m zipfile -c "$work/$fn.zip" "$fn")
      AGORA_HOME="$work/home" AGORA_LOG=warn python3 bench/lambda_runtime.py --bin-dir "$dir" \
        --functions "$fn" --invocations 20 --json "$work/$profile-$fn.json" >/dev/null
      python3 - "$work/$profile-$fn.json" "$work/$fn.zip" "$profile" "$built" <<'EOF'
import json, os, statistics, sys
[r] = json.load(open(sys.argv[1]))
warm = sorted(i["ms"] for i in r["invocations"][1:])
print(f"{sys.argv[3]:16} {r['function']:12} zip {os.path.getsize(sys.argv[2]) / 1048576:5.2f} MB  "
      f"init {r['init_ms']:6.1f} ms  warm p50 {statistics.median(warm):5.2f} ms  (build {sys.argv[4]} s)")
EOF
    done
  done
fi
