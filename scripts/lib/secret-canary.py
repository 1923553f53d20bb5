#!/usr/bin/env python3
"""The secret canary (RELIABILITY 19): every secret the tests created (passwords, access
and refresh tokens, API keys; noted in <dir>/*.secrets) must appear in none of the logs the
test processes and the servers they started wrote (<dir>/*.log).

  secret-canary.py <dir>         scan; non-zero when a secret leaked or nothing was captured
  secret-canary.py --self-check  prove the scan finds a planted leak
"""
import sys
import tempfile
from pathlib import Path


def scan(directory: Path) -> int:
    secrets = {
        line.strip()
        for path in directory.glob("*.secrets")
        for line in path.read_text(errors="replace").splitlines()
        if len(line.strip()) >= 8
    }
    logs = sorted(directory.glob("*.log"))
    lines = 0
    leaks = []
    for path in logs:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            lines += 1
            for secret in secrets:
                if secret in line:
                    leaks.append(f"{path.name}:{number} holds a secret starting {secret[:6]!r}")
    if not secrets or not lines:
        print(f"secret canary: captured {len(secrets)} secrets and {lines} log lines; "
              "expected both (is AGORA_TEST_CAPTURE_DIR reaching the tests?)", file=sys.stderr)
        return 1
    if leaks:
        print("secret canary: secrets reached the logs:\n  " + "\n  ".join(leaks[:50]), file=sys.stderr)
        return 1
    print(f"    secret canary: {len(secrets)} secrets, {lines} log lines in {len(logs)} files: no leak")
    return 0


def self_check() -> int:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "1.secrets").write_text("agora_sk_planted-secret-value\n")
        (root / "1.log").write_text('{"message":"ok"}\n')
        if scan(root) != 0:
            return 1
        (root / "2.log").write_text('{"message":"oops agora_sk_planted-secret-value"}\n')
        if scan(root) == 0:
            print("secret canary self-check: a planted leak went unnoticed", file=sys.stderr)
            return 1
    print("    secret canary self-check: a planted leak is found")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(scan(Path(sys.argv[1])))
