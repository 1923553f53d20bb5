# Throwaway servers for tests: PostgreSQL (TLS on, pgvector), Redis, moto and osmem-server
# (OpenSearch API). Each is
# started only when its variable is not already set, and stopped by stop_servers.
STARTED_PIDS=()
PG_STOPS=()
SERVERS_DIR=""

as_pg_owner() {
  # PostgreSQL refuses to run as root: run it as `nobody` then.
  if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

start_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then note "PostgreSQL: using DATABASE_URL"; return; fi
  local bin="${AGORA_PG_BIN:-$PG_BIN_BUNDLED}" port dir
  port=$(free_port)
  dir="$SERVERS_DIR/pg"
  mkdir -p "$dir"
  run_postgres "$bin" "$dir" "$port" ""
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export AGORA_PG_BIN="$bin"
  note "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') with pgvector on 127.0.0.1:$port"
}

# The pgvector build has no SSL, so the TLS test gets its own cluster from Debian's
# PostgreSQL, with a self-signed certificate it verifies through DATABASE_CA_FILE.
start_tls_postgres() {
  if [ -n "${AGORA_TEST_TLS_DATABASE_URL:-}" ]; then note "TLS PostgreSQL: using AGORA_TEST_TLS_DATABASE_URL"; return; fi
  local bin port dir
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$bin/postgres" ] || fail "Debian's PostgreSQL server is missing (scripts/setup installs it)"
  port=$(free_port)
  dir="$SERVERS_DIR/pg-tls"
  mkdir -p "$dir"
  # A throwaway CA signs the server certificate (webpki refuses a CA certificate as the
  # server's own), and the test trusts that CA.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Agora test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/ext.cnf" -out "$dir/server.crt" >/dev/null 2>&1
  chmod 600 "$dir/server.key"
  run_postgres "$bin" "$dir" "$port" "-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
  export AGORA_TEST_TLS_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export AGORA_TEST_PG_CA="$dir/ca.crt"
  note "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') with TLS on 127.0.0.1:$port"
}

# run_postgres BIN DIR PORT EXTRA_OPTIONS: a throwaway cluster, fast and unsafe on purpose.
run_postgres() {
  local bin=$1 dir=$2 port=$3 extra=$4
  [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$dir" && chmod 755 "$SERVERS_DIR"
  as_pg_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-c listen_addresses=127.0.0.1 -p $port -k $dir \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500 $extra" start >/dev/null \
    || { cat "$dir/log"; fail "PostgreSQL did not start"; }
  PG_STOPS+=("$bin/pg_ctl -D $dir/data -m immediate -w stop")
}

start_redis() {
  if [ -n "${REDIS_URL:-}" ]; then note "Redis: using REDIS_URL"; return; fi
  local port
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$SERVERS_DIR/redis.pid" --logfile "$SERVERS_DIR/redis.log"
  wait_for_port "$port" Redis
  STARTED_PIDS+=("$(cat "$SERVERS_DIR/redis.pid")")
  export REDIS_URL="redis://127.0.0.1:$port/0"
  note "Redis on 127.0.0.1:$port"
}

start_moto() {
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
  export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then note "AWS: using AWS_ENDPOINT_URL"; return; fi
  local port
  port=$(free_port)
  moto_server -H 127.0.0.1 -p "$port" >"$SERVERS_DIR/moto.log" 2>&1 &
  STARTED_PIDS+=("$!")
  wait_for_port "$port" moto
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  note "moto on 127.0.0.1:$port"
}

# osmem-server: an in-memory server speaking OpenSearch's REST API (no JVM, no k-NN).
start_opensearch() {
  if [ -n "${AGORA_TEST_OPENSEARCH_URL:-}" ]; then note "OpenSearch: using AGORA_TEST_OPENSEARCH_URL"; return; fi
  local port bin
  port=$(free_port)
  bin=$("$VENV/bin/python" -c 'import osmem_server; print(osmem_server.resolve_binary())')
  "$bin" --addr "127.0.0.1:$port" --no-stdin-watch --no-ja >"$SERVERS_DIR/osmem.log" 2>&1 &
  STARTED_PIDS+=("$!")
  wait_for_port "$port" osmem-server
  export AGORA_TEST_OPENSEARCH_URL="http://127.0.0.1:$port"
  note "osmem-server (OpenSearch API) on 127.0.0.1:$port"
}

start_servers() {
  SERVERS_DIR=$(mktemp -d /tmp/agora-servers.XXXXXX)
  start_postgres
  start_tls_postgres
  start_redis
  start_moto
  start_opensearch
}

stop_servers() {
  for stop in "${PG_STOPS[@]}"; do as_pg_owner $stop >/dev/null 2>&1 || true; done
  for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$SERVERS_DIR" ] && rm -rf "$SERVERS_DIR"
}
