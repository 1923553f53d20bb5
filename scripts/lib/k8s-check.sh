#!/usr/bin/env bash
# Renders each Kustomize overlay of deploy/kubernetes with `kubectl kustomize` (offline) and
# checks the result: kubernetes-validate --strict against the oldest and newest Kubernetes
# versions Agora targets (an error, or a kind without a schema, fails), then Agora's own
# rules (scripts/lib/check-manifests.py). Then it proves the check checks: each broken
# fixture in deploy/kubernetes/tests/ must fail, with the message in its `expect` file.
#
#   scripts/lib/k8s-check.sh            the overlays, then the fixtures
#   scripts/lib/k8s-check.sh DIR...     just these kustomization folders
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

K8S_VERSIONS=(1.34 1.36)
KUBE_DIR=deploy/kubernetes

command -v kubectl >/dev/null || fail "kubectl is missing: run scripts/setup"
[ -x "$VENV/bin/kubernetes-validate" ] || fail "kubernetes-validate is missing: run scripts/setup"
work=$(mktemp -d /tmp/agora-k8s.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Checks one kustomization folder; prints what is wrong and returns 1, or a summary line.
check() {
  local dir=$1 rendered report versions=()
  rendered="$work/$(echo "$dir" | tr / _).yaml"
  if ! kubectl kustomize "$dir" >"$rendered" 2>"$rendered.err"; then
    sed 's/^/RENDER /' "$rendered.err"
    return 1
  fi
  for version in "${K8S_VERSIONS[@]}"; do versions+=(-k "$version"); done
  # --quiet prints only failures; a WARN is a kind without a schema (a typo, or a CRD),
  # which kubernetes-validate itself lets pass.
  local rc=0
  report=$("$VENV/bin/kubernetes-validate" --strict --quiet "${versions[@]}" "$rendered" 2>&1) || rc=$?
  if [ "$rc" != 0 ] || [ -n "$report" ]; then
    echo "${report:-kubernetes-validate exited $rc}" | sed "s|$rendered|$dir|"
    return 1
  fi
  report=$("$VENV/bin/python" scripts/lib/check-manifests.py "$rendered" 2>&1) || rc=$?
  if [ "$rc" != 0 ]; then
    echo "$report" | sed "s|$rendered|$dir|"
    return 1
  fi
  note "$dir: $(grep -c '^kind:' "$rendered") objects valid against Kubernetes ${K8S_VERSIONS[*]} (strict), Agora's rules hold"
}

if [ $# -gt 0 ]; then
  status=0
  for dir in "$@"; do check "$dir" || status=1; done
  exit "$status"
fi

for overlay in "$KUBE_DIR"/overlays/*/; do
  check "${overlay%/}" || fail "${overlay%/} does not validate (above)"
done

# Each fixture breaks one thing in an overlay; the check must refuse it for that reason.
fixtures=0
for fixture in "$KUBE_DIR"/tests/*/; do
  fixture=${fixture%/}
  expected=$(cat "$fixture/expect")
  if output=$(check "$fixture" 2>&1); then
    fail "$fixture passed the check, which must refuse it ($expected)"
  fi
  grep -qF -- "$expected" <<<"$output" || fail "$fixture failed, but not with \`$expected\`: $output"
  fixtures=$((fixtures + 1))
done
[ "$fixtures" -gt 0 ] || fail "no broken fixtures under $KUBE_DIR/tests"
note "$fixtures broken fixtures refused, each with its expected message"
