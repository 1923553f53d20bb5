#!/usr/bin/env python3
"""The secret canary (RELIABILITY 19): every secret the tests created (passwords, access
and refresh tokens, API keys, provider keys; noted in <dir>/*.secrets) must appear

  - in none of the logs the test processes and the servers they started wrote (*.log),
  - in none of the audit rows of the tests' databases (*.audit, one JSON string a line),
  - in no response body the tests received (*.bodies: one JSON object a line with the
    method, path and body), problem details included, except the answers of the routes
    that issue secrets (ISSUERS: sign-up, sign-in, refresh, a new API key, the dev
    outbox's confirmation links).

  secret-canary.py <dir>         scan; non-zero when a secret leaked or nothing was captured
  secret-canary.py --self-check  prove the scan finds planted leaks
"""
import json
import sys
import tempfile
from pathlib import Path


# The routes whose answers carry the secrets they issue.
ISSUERS = {
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/me/api-keys"),
    # The dev outbox shows its user the confirmation links mailed to them.
    ("GET", "/v1/me/outbox"),
}


def lines_of(directory: Path, pattern: str):
    for path in sorted(directory.glob(pattern)):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            yield path.name, number, line


def json_lines_of(directory: Path, pattern: str):
    for name, number, line in lines_of(directory, pattern):
        try:
            yield name, number, json.loads(line)
        except json.JSONDecodeError:
            yield name, number, line


def scan(directory: Path) -> int:
    secrets = {
        line.strip()
        for _, _, line in lines_of(directory, "*.secrets")
        if len(line.strip()) >= 8
    }
    leaks = []
    counts = {"log lines": 0, "audit rows": 0, "response bodies": 0}
    for kind, pattern in (("log lines", "*.log"), ("audit rows", "*.audit")):
        reader = lines_of if pattern == "*.log" else json_lines_of
        for name, number, text in reader(directory, pattern):
            counts[kind] += 1
            for secret in secrets:
                if secret in text:
                    leaks.append(f"{name}:{number} holds a secret starting {secret[:6]!r}")
    for name, number, record in json_lines_of(directory, "*.bodies"):
        counts["response bodies"] += 1
        if not isinstance(record, dict):
            continue
        if (record.get("method"), record.get("path")) in ISSUERS:
            continue
        body = record.get("body", "")
        for secret in secrets:
            if secret in body:
                leaks.append(f"{name}:{number} ({record.get('method')} {record.get('path')}) "
                             f"answers with a secret starting {secret[:6]!r}")
    if not secrets or not counts["log lines"]:
        print(f"secret canary: captured {len(secrets)} secrets and {counts['log lines']} log "
              "lines; expected both (is AGORA_TEST_CAPTURE_DIR reaching the tests?)", file=sys.stderr)
        return 1
    if leaks:
        print("secret canary: secrets leaked:\n  " + "\n  ".join(leaks[:50]), file=sys.stderr)
        return 1
    scanned = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    print(f"    secret canary: {len(secrets)} secrets; {scanned}: no leak")
    return 0


def self_check() -> int:
    planted = "agora_sk_planted-secret-value"

    def response(method, path, body):
        return json.dumps({"method": method, "path": path, "body": body}) + "\n"

    leaks = {
        "2.log": f'{{"message":"oops {planted}"}}\n',
        "2.audit": json.dumps(json.dumps({"detail": planted})) + "\n",
        "2.bodies": response("GET", "/v1/me/api-keys", f'{{"detail":"bad key {planted}"}}'),
    }
    for leak_file, leak in leaks.items():
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            (root / "1.secrets").write_text(planted + "\n")
            (root / "1.log").write_text('{"message":"ok"}\n')
            (root / "1.bodies").write_text(
                response("POST", "/v1/me/api-keys", f'{{"key":"{planted}"}}'))
            if scan(root) != 0:
                print("secret canary self-check: the issuing response was counted as a leak",
                      file=sys.stderr)
                return 1
            (root / leak_file).write_text(leak)
            if scan(root) == 0:
                print(f"secret canary self-check: a leak planted in {leak_file} went unnoticed",
                      file=sys.stderr)
                return 1
    print("    secret canary self-check: planted leaks in a log, an audit row and a response "
          "are found")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(scan(Path(sys.argv[1])))
