#!/usr/bin/env bash
# Builds every route function and runs each on cargo lambda's Lambda Runtime API emulator
# (`cargo lambda watch --only-lambda-apis`), invoking it with its API Gateway v2, v1 and ALB
# events (the scheduled maintenance and key-rotation functions with their EventBridge events) through
# `cargo lambda invoke`; streaming functions answer in the response-streaming format. A response passes when it is a well-formed Lambda
# HTTP response that is not a 5xx, and every 4xx is problem+json: the events of routes that
# need a signed-in caller are answered 401, which proves routing and error shaping on the
# real runtime. Needs DATABASE_URL (health checks the database) and the AWS/Redis variables
# scripts/test sets.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

# The same debug build the tests use; `sam build` builds the release arm64 ones.
cargo build --locked -p agora-functions -p agora-cli
# A database of its own, migrated the way a deploy migrates (`agora migrate`).
db="agora_lambda_$(date +%s)_$$"
"${AGORA_PG_BIN:-$PG_BIN_BUNDLED}/psql" "$DATABASE_URL" -q -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${DATABASE_URL%/*}/$db"
"$CARGO_TARGET_DIR/debug/agora" migrate >/dev/null
port=$(free_port)
work=$(mktemp -d /tmp/agora-lambda.XXXXXX)
# Logs stay outside the crates, so nothing here triggers a rebuild.
cargo lambda watch --ignore-changes --invoke-port "$port" --only-lambda-apis >"$work/watch.log" 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true; pkill -P "${pids[0]}" 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_port "$port" "cargo lambda watch"

# `migrate` answers CloudFormation at an S3 URL no local server can stand in for; its
# handler is tested in shared/src/lambda/migrate.rs and shared/tests/it/postgres.rs.
functions=$(sed -n 's/^name = "\(.*\)"$/\1/p' functions/Cargo.toml | grep -v -e '^agora-functions$' -e '^migrate$')
# The rotation function rotates signing keys of its own, in moto's Secrets Manager.
rotation_secret=$("$VENV/bin/python" -c '
import boto3, json, uuid
client = boto3.client("secretsmanager", endpoint_url=__import__("os").environ["AWS_ENDPOINT_URL"])
keys = {"jwt_active_kid": "1", "jwt_key_1": uuid.uuid4().hex + uuid.uuid4().hex}
print(client.create_secret(Name=f"agora/lambda-test/{uuid.uuid4()}", SecretString=json.dumps(keys))["ARN"])
')
for fn in $functions; do
  # Limits of its own, as a deployed function's are its callers': every event here comes
  # from one address, and shared limits would answer later functions 429 instead of
  # routing them.
  extra=(REDIS_KEY_PREFIX="agora-lambda-$$-$fn:")
  [ "$fn" = rotate-signing-key ] && extra+=(AGORA_SECRET_ID="$rotation_secret")
  # Each function polls its own queue of the emulator, as one Lambda function would.
  env "${extra[@]}" AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt/$fn" AWS_LAMBDA_FUNCTION_NAME="$fn" \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 AWS_LAMBDA_FUNCTION_VERSION=1 AGORA_LOG=warn \
    "$CARGO_TARGET_DIR/debug/$fn" >"$work/$fn.log" 2>&1 &
  pids+=($!)
done

# Streaming functions (a `Route:` beside their Binary in template.yaml) answer through the
# emulator's Invoke endpoint as a streamed HTTP response; `cargo lambda invoke` reads only
# buffered ones, so they are invoked with curl and judged by status and content type.
streaming=$(awk '/Binary:/ {binary=$2} /Route:/ {print binary}' template.yaml)

invocations=0
for fn in $functions; do
  for event in events/"$fn".*.json; do
    if printf '%s\n' $streaming | grep -qx "$fn"; then
      head=$(curl -s -o /dev/null -D - -X POST --max-time 60 --data-binary @"$event" \
        "http://127.0.0.1:$port/2015-03-31/functions/$fn/invocations")
      status=$(printf '%s' "$head" | awk 'NR==1 {print $2}')
      type=$(printf '%s' "$head" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-type" {print $2}')
      mode=$(printf '%s' "$head" | tr -d '\r' | awk -F': ' 'tolower($1)=="lambda-runtime-function-response-mode" {print $2}')
      # The OpenAI-compatible surface answers errors in OpenAI's JSON format.
      case "$fn:$type" in chat-completions:application/json) type=application/problem+json ;; esac
      if [ "$mode" != streaming ] || [ -z "$status" ] || [ "$status" -ge 500 ] || [ "$status" = 429 ] || { [ "$status" -ge 400 ] && [ "$type" != application/problem+json ]; }; then
        echo "$head"; tail -20 "$work/$fn.log"; fail "$fn on $event: streamed $status $type (mode ${mode:-buffered})"
      fi
      note "$fn  $(basename "$event")  -> $status (streamed)"
      invocations=$((invocations + 1))
      continue
    fi
    if ! out=$(timeout 60 cargo lambda invoke --invoke-port "$port" --data-file "$event" "$fn" 2>&1); then
      echo "$out"; tail -20 "$work/$fn.log" "$work/watch.log"; fail "cargo lambda invoke $fn with $event failed"
    fi
    verdict=$(printf '%s' "$out" | python3 -c '
import json, sys
response = json.load(sys.stdin)
if "stale_runs_released" in response:
    print("ok maintenance")
    sys.exit()
step = response.get("step") if isinstance(response, dict) else None
if step in ("dated", "added", "switched", "retired", "waiting"):
    print(f"ok signing keys {step}")
    sys.exit()
if "batchItemFailures" in response:
    # The workflow worker: only ids of the batch, each once (these runs do not exist, so
    # every record is reported as failed).
    ids = [failure.get("itemIdentifier") for failure in response["batchItemFailures"]]
    event = json.load(open(sys.argv[1]))
    batch = [record["messageId"] for record in event["Records"]]
    if sorted(ids) != sorted(set(ids)) or not set(ids) <= set(batch):
        print(f"bad batchItemFailures {ids}")
    else:
        print(f"ok {len(ids)} of {len(batch)} records reported failed")
    sys.exit()
status = response.get("statusCode")
headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
# REST API (v1) and ALB responses may carry headers only as multiValueHeaders.
headers.update({k.lower(): v[0] for k, v in (response.get("multiValueHeaders") or {}).items() if v})
if not isinstance(status, int) or status >= 500:
    print(f"bad status {status}")
elif status == 429:
    print("429: rate limited, so the route itself was never reached")
elif status >= 400 and headers.get("content-type") == "application/json" and "error" in json.loads(response.get("body") or "{}"):
    print(f"ok {status} (OpenAI error format)")
elif status >= 400 and headers.get("content-type") != "application/problem+json":
    print(f"{status} without problem+json")
else:
    print(f"ok {status}")
' "$event" 2>&1 || echo "not a Lambda HTTP response")
    [ "${verdict%% *}" = ok ] || { echo "$out"; tail -20 "$work/$fn.log"; fail "$fn on $event: $verdict"; }
    note "$fn  $(basename "$event")  -> ${verdict#ok }"
    invocations=$((invocations + 1))
  done
done
note "$invocations invocations on the Lambda Runtime API emulator: all answered"
