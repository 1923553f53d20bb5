#!/usr/bin/env bash
# The gateway benchmark (issue 5): what Agora's /v1/chat/completions adds to an LLM call
# (auth, agent resolution, credit hold, provider call, run record and charge), beside
# LiteLLM proxy, on the same upstream stub (agora-bench stub, answering at once), at
# concurrency 1, 10 and 50, plus time to first token when streaming. Loopback only.
#   bench/gateway.sh [seconds per measurement]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$ROOT/scripts/lib/servers.sh"
cd "$ROOT"
seconds=${1:-10}

bash scripts/setup >/dev/null
step "LiteLLM proxy (.agora/tools/litellm)"
LITELLM="$TOOLS/litellm"
if [ ! -x "$LITELLM/bin/litellm" ]; then
  python3 -m venv "$LITELLM"
  "$LITELLM/bin/python" -m pip install --quiet --disable-pip-version-check 'litellm[proxy]==1.100.0'
fi
note "litellm $("$LITELLM/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')"

step "Building agora and agora-bench (bench-fast profile)"
cargo build --locked --profile bench-fast -p agora-cli -p agora-bench
bin="$CARGO_TARGET_DIR/bench-fast"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; stop_servers; }
trap cleanup EXIT
SERVERS_DIR=$(mktemp -d /tmp/agora-gateway.XXXXXX)
unset DATABASE_URL REDIS_URL
start_postgres
start_redis

step "Upstream stub, Agora and LiteLLM"
stub_port=$(free_port)
"$bin/agora-bench" stub "$stub_port" &
pids+=($!)
wait_for_port "$stub_port" "the upstream stub"
stub="http://127.0.0.1:$stub_port"

log="$SERVERS_DIR/serve.log"
# Limits high enough that the benchmark measures the path, not the rate limiter.
AGORA_LOG=warn AGORA_HOME="$SERVERS_DIR/home" OPENAI_API_KEY=sk-bench-upstream \
  AGORA_OPENAI_BASE_URL="$stub/v1" AGORA_RATE_LIMIT_PER_MINUTE=1000000 \
  AGORA_RUNS_PER_MINUTE=1000000 AGORA_MAX_CONCURRENT_RUNS=1000 AGORA_SIGNUP_CREDITS=1000000 \
  "$bin/agora" serve --port 0 --no-demo >"$log" 2>&1 &
agora_pid=$!
pids+=($agora_pid)
agora=$(agora_url "$log" "$agora_pid")

litellm_port=$(free_port)
cat >"$SERVERS_DIR/litellm.yaml" <<YAML
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: $stub/v1
      api_key: sk-bench-upstream
general_settings:
  master_key: sk-litellm-master
litellm_settings:
  drop_params: true
YAML
# LiteLLM would take DATABASE_URL (Agora's) for its own Prisma database: it runs without one.
env -u DATABASE_URL -u REDIS_URL LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOG=ERROR "$LITELLM/bin/litellm" \
  --config "$SERVERS_DIR/litellm.yaml" --host 127.0.0.1 --port "$litellm_port" --num_workers 1 \
  >"$SERVERS_DIR/litellm.log" 2>&1 &
litellm_pid=$!
pids+=($litellm_pid)
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$litellm_port/health/liveliness" >/dev/null 2>&1 && break
  kill -0 $litellm_pid 2>/dev/null || { cat "$SERVERS_DIR/litellm.log"; fail "LiteLLM exited"; }
  sleep 0.5
done
note "stub $stub, Agora $agora (pid $agora_pid), LiteLLM http://127.0.0.1:$litellm_port (pid $litellm_pid)"

step "Measuring ($seconds s per target and concurrency)"
"$bin/agora-bench" gateway "$stub" "$agora" "http://127.0.0.1:$litellm_port" "$agora_pid" "$litellm_pid" "$seconds"
