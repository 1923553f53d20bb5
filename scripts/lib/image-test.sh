#!/usr/bin/env bash
# Builds the container image (scripts/build-image, from the debug build), unpacks it the
# way a container runtime would (the OCI layout's layers in order, whiteouts applied),
# checks its configuration (non-root user, entrypoint and command, exposed port, health
# check, environment), and runs the image's own entrypoint and command from its own root
# filesystem (chroot, as its user) against real PostgreSQL and Redis until /v1/health
# answers 200; then the image's health check command must exit 0. Needs DATABASE_URL and
# REDIS_URL (scripts/test's servers, or `source /tmp/devenv`). Everything it creates (a
# private buildah storage, the root filesystem, the database) is removed on exit.
set -euo pipefail
# chroot, and a root filesystem owned by root, need root.
[ "$(id -u)" = 0 ] || exec sudo --preserve-env bash "$0" "$@"
source "$(dirname "$0")/common.sh"
cd "$ROOT"
: "${DATABASE_URL:?needs DATABASE_URL (scripts/test sets it)}" "${REDIS_URL:?needs REDIS_URL}"
command -v buildah >/dev/null || fail "buildah is missing: scripts/setup installs it"

work=$(mktemp -d /tmp/agora-image-test.XXXXXX)
# A storage of its own: nothing is left in the machine's buildah storage, and parallel
# runs do not meet.
export AGORA_BUILDAH_ROOT="$work/buildah"
BUILDAH=(buildah --storage-driver vfs --root "$AGORA_BUILDAH_ROOT/storage" --runroot "$AGORA_BUILDAH_ROOT/run")
psql=("${AGORA_PG_BIN:-$PG_BIN_BUNDLED}/psql" "$DATABASE_URL" -q -v ON_ERROR_STOP=1)
image=agora:test
server_pid="" db=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  "${BUILDAH[@]}" rmi --all --force >/dev/null 2>&1 || true
  [ -z "$db" ] || "${psql[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The debug build the earlier steps made (built here when missing).
[ -x "$CARGO_TARGET_DIR/debug/agora" ] || cargo build --locked -p agora-cli --bin agora
started=$(date +%s.%N)
bash scripts/build-image --no-build --tag test
build_seconds=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
size=$("${BUILDAH[@]}" images --format '{{.Size}}' "$image" | head -1)

note "unpacking $image (buildah push oci:, layers in order)"
"${BUILDAH[@]}" push --quiet "$image" "oci:$work/oci:test" >/dev/null
rootfs="$work/rootfs"
# What a runtime reads: the OCI config (user, entrypoint, command, environment, port).
# The health check exists only in the Docker format, so it comes from buildah inspect.
"${BUILDAH[@]}" inspect --type image "$image" >"$work/inspect.json"
python3 - "$work/oci" "$rootfs" "$work/inspect.json" >"$work/config.env" <<'EOF'
import json, os, shlex, shutil, sys, tarfile
from pathlib import Path

oci, rootfs, inspect = Path(sys.argv[1]), Path(sys.argv[2]), json.load(open(sys.argv[3]))
def blob(digest):
    algorithm, value = digest.split(":")
    return oci / "blobs" / algorithm / value
def remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
def problem(text):
    print(f"image check failed: {text}", file=sys.stderr)
    sys.exit(1)

index = json.loads((oci / "index.json").read_text())
manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
config = json.loads(blob(manifest["config"]["digest"]).read_text())

# Layers in order; a whiteout (.wh.NAME) deletes NAME from the layers below, an opaque
# whiteout (.wh..wh..opq) empties its directory.
rootfs.mkdir()
for layer in manifest["layers"]:
    with tarfile.open(blob(layer["digest"]), "r:*") as tar:
        for member in tar.getmembers():
            path = Path(os.path.normpath(member.name.lstrip("/")))
            if path.is_absolute() or ".." in path.parts:
                problem(f"layer entry {member.name} escapes the root")
            target = rootfs / path
            if path.name == ".wh..wh..opq":
                for child in target.parent.iterdir() if target.parent.is_dir() else ():
                    remove(child)
                continue
            if path.name.startswith(".wh."):
                remove(target.parent / path.name[4:])
                continue
            if member.islnk() or member.issym():
                link = member.linkname
                if member.islnk():
                    link = os.path.normpath(link.lstrip("/"))
                    if link.startswith(".."):
                        problem(f"hard link {member.name} -> {member.linkname} escapes the root")
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                target.unlink()
            tar.extract(member, rootfs, numeric_owner=True)

runtime = config["config"]
docker = inspect["Docker"]["config"]
user = runtime.get("User", "")
uid, _, gid = user.partition(":")
if not uid.isdigit() or int(uid) == 0 or not gid.isdigit() or int(gid) == 0:
    problem(f"User is {user!r}: want a numeric non-root uid:gid")
passwd = (rootfs / "etc/passwd").read_text()
if not any(line.split(":")[2:4] == [uid, gid] for line in passwd.splitlines()):
    problem(f"no /etc/passwd entry for {user}")
if runtime.get("Entrypoint") != ["/agora"]:
    problem(f"Entrypoint is {runtime.get('Entrypoint')}")
if runtime.get("Cmd") != ["serve", "--no-migrate", "--no-demo"]:
    problem(f"Cmd is {runtime.get('Cmd')}: the container must not migrate or load demo data")
if "8080/tcp" not in runtime.get("ExposedPorts", {}):
    problem(f"ExposedPorts is {runtime.get('ExposedPorts')}")
env = dict(item.split("=", 1) for item in runtime.get("Env", []))
for name, value in {"AGORA_BIND": "0.0.0.0", "AGORA_PROFILE": "prod", "AGORA_LOG_FORMAT": "json"}.items():
    if env.get(name) != value:
        problem(f"{name} is {env.get(name)!r}, want {value!r}")
health = (docker.get("Healthcheck") or {}).get("Test")
if health != ["CMD", "/agora", "healthcheck"]:
    problem(f"Healthcheck is {health}")
labels = runtime.get("Labels") or {}
for label in ("title", "source", "licenses", "version", "revision", "created"):
    if not labels.get(f"org.opencontainers.image.{label}"):
        problem(f"label org.opencontainers.image.{label} is missing")
# Minimal: the binary, its libraries, /etc and the web UI; no shell, nothing writable.
for path in rootfs.rglob("*"):
    relative = "/" + str(path.relative_to(rootfs))
    info = path.lstat()
    if info.st_uid != 0 or (info.st_mode & 0o002 and not path.is_symlink()):
        problem(f"{relative} is writable by others than root")
for shell in ("bin/sh", "bin/bash", "usr/bin/sh"):
    if (rootfs / shell).exists():
        problem(f"/{shell} is in the image")
for needed in ("agora", "etc/ssl/certs/ca-certificates.crt", "web/index.html"):
    if not (rootfs / needed).is_file():
        problem(f"/{needed} is missing")
files = sum(1 for path in rootfs.rglob("*") if path.is_file())
print(f"USERSPEC={uid}:{gid}")
print(f"LAYERS={len(manifest['layers'])}")
print(f"FILES={files}")
print("ENTRYPOINT=" + shlex.quote(shlex.join(runtime["Entrypoint"] + runtime["Cmd"])))
print("IMAGE_ENV=" + shlex.quote("\n".join(runtime.get("Env", []))))
EOF
source "$work/config.env"
certificates=$(grep -c 'BEGIN CERTIFICATE' "$rootfs/etc/ssl/certs/ca-certificates.crt")
[ "$certificates" -gt 100 ] || fail "the CA bundle holds $certificates certificates"
note "config: user $USERSPEC, entrypoint+cmd '$ENTRYPOINT', port 8080, health check /agora healthcheck"
note "root filesystem: $LAYERS layers, $FILES files, $certificates CA certificates, no shell"

# A database of its own, migrated the way a deployment migrates (the host's agora migrate):
# the container itself runs no DDL.
db="agora_image_$(date +%s)_$$"
"${psql[@]}" -c "CREATE DATABASE $db" >/dev/null
db_url="${DATABASE_URL%/*}/$db"
DATABASE_URL="$db_url" "$CARGO_TARGET_DIR/debug/agora" migrate >/dev/null
# The root filesystem has no /etc/hosts: reach the servers by address.
db_url=${db_url/@localhost:/@127.0.0.1:}
redis_url=${REDIS_URL/\/\/localhost:/\/\/127.0.0.1:}

port=$(free_port)
signing_key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
# Under scripts/test the server's logs go to the secret canary with the key they must not hold.
if [ -n "${AGORA_TEST_CAPTURE_DIR:-}" ]; then
  log="$AGORA_TEST_CAPTURE_DIR/image-serve.log"
  printf '%s\n' "$signing_key" >>"$AGORA_TEST_CAPTURE_DIR/image.secrets"
else
  log="$work/serve.log"
fi
container_env=()
while IFS= read -r line; do [ -n "$line" ] && container_env+=("$line"); done <<<"$IMAGE_ENV"
container_env+=(
  DATABASE_URL="$db_url" REDIS_URL="$redis_url" AGORA_PORT="$port"
  AGORA_SECRETS="{\"jwt_active_kid\":\"1\",\"jwt_key_1\":\"$signing_key\"}"
)
# The image's entrypoint and command, from its own root, as its own user, with only the
# image's environment and what a deployment adds.
# (env and chroot exec what they run: the server's pid is the one started here.)
in_image=(env -i "${container_env[@]}" "$(command -v chroot)" --userspec="$USERSPEC" --groups="${USERSPEC#*:}" "$rootfs")
read -ra command <<<"$ENTRYPOINT"
started=$(date +%s.%N)
"${in_image[@]}" "${command[@]}" >"$log" 2>&1 &
server_pid=$!
healthy=""
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "the image's server exited"; }
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/v1/health")" = 200 ]; then
    healthy=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
    break
  fi
  sleep 0.2
done
[ -n "$healthy" ] || { cat "$log"; fail "GET /v1/health did not answer 200 within 30 s"; }
status=$(grep -E '^(Uid|Gid|Groups):' "/proc/$server_pid/status" | tr -s '\t' ' ' | tr '\n' ' ')
case "$status" in "Uid: ${USERSPEC%:*} "*) ;; *) fail "the server does not run as ${USERSPEC%:*}: $status" ;; esac
grep -q "listening on http://0.0.0.0:$port" "$log" || { cat "$log"; fail "the server does not listen on 0.0.0.0 (AGORA_BIND)"; }
note "serving as $status"
checks=$(curl -sf --max-time 5 "http://127.0.0.1:$port/v1/health" | python3 -c '
import json, sys
report = json.load(sys.stdin)
checks = {check["name"]: check["status"] for check in report["checks"]}
if report["status"] != "ok" or checks.get("database") != "ok" or checks.get("cache") != "ok":
    sys.exit(f"health report: {report}")
print(", ".join(f"{name} {status}" for name, status in checks.items()))') || fail "the health report is not ok"
note "GET /v1/health: 200, $checks"

"${in_image[@]}" /agora healthcheck --port "$port" || { cat "$log"; fail "/agora healthcheck exited non-zero against a healthy server"; }
note "/agora healthcheck: exit 0"
curl -sf --max-time 5 "http://127.0.0.1:$port/" | grep -q '<div id="root"' \
  || fail "GET / did not serve the web UI from /web"
note "GET / serves the web UI from the image"

kill -TERM "$server_pid"
for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$server_pid" 2>/dev/null; then fail "the server did not stop within 10 s of SIGTERM"; fi
wait "$server_pid" && stopped=0 || stopped=$?
server_pid=""
[ "$stopped" = 0 ] || { tail -20 "$log"; fail "the server exited $stopped on SIGTERM"; }
if "${in_image[@]}" /agora healthcheck --port "$port" 2>/dev/null; then fail "/agora healthcheck exited 0 with no server"; fi
note "stopped on SIGTERM (exit 0); healthcheck now fails, as it must"
note "image $image: $size, built in ${build_seconds} s; healthy ${healthy} s after start"
