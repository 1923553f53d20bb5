"""Proves Agora's checkov checks (infra/policies) on small templates, and exits non-zero
when one does not do what its fixtures say.

Each directory here is named after a check (CKV_AGORA_1, ...) and holds CloudFormation
templates (*.template: checkov reads the extension as CloudFormation, while the loader of
external checks, which walks infra/policies for YAML graph checks, leaves it alone). In
them, a resource's logical id says what that check must answer for it:
    Good*     PASSED          (only in good*.template)
    Bad*      FAILED          (only in bad*.template)
    Skipped*  SKIPPED         (a Metadata checkov skip; proves the skip lines work)
Any other resource is scaffolding, and the check must not report on it. One checkov run
covers every template, with only Agora's checks; then each record is compared.

It also confirms, against the IAM definitions that ship with checkov (policy_sentry), that
every action in least_privilege.WILDCARD_ONLY_ACTIONS is one AWS authorizes on "*" only.

Run by scripts/test (Templates step), from anywhere, with the checkov venv's Python:
    .agora/tools/checkov/bin/python infra/policies/tests/check_policies.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
POLICIES = TESTS.parent
ROOT = POLICIES.parent.parent
# How agora_checks.AgoraCheck logs the reason for each failure: "<check> <file> <logical id>: <why>".
REASON = re.compile(r"(CKV_AGORA_\d+) (\S+) (\S+): (.*)$")
EXPECTED = {"Good": "PASSED", "Bad": "FAILED", "Skipped": "SKIPPED"}
FILE_ALLOWS = {"good": {"Good", "Skipped"}, "bad": {"Bad"}}


def main() -> int:
    fixtures = sorted(TESTS.glob("CKV_AGORA_*/*.template"))
    check_ids = sorted({fixture.parent.name for fixture in fixtures})
    if not fixtures:
        print("no fixtures found under", TESTS)
        return 1
    results = _run_checkov(fixtures, check_ids)
    problems = []
    for fixture in fixtures:
        problems += _fixture_problems(fixture, results.get(fixture, {}))
    problems += _wildcard_only_problems()
    relative = [str(fixture.relative_to(ROOT)) for fixture in fixtures]
    if problems:
        print(f"infra/policies: {len(problems)} problem(s) in {len(relative)} fixtures:")
        for problem in problems:
            print("  -", problem)
        return 1
    answered = sum(len(records) for records in results.values())
    print(f"infra/policies: {', '.join(check_ids)} answered as expected for {answered} resources in {len(relative)} templates")
    return 0


def _run_checkov(fixtures: list[Path], check_ids: list[str]) -> dict[Path, dict[str, tuple[str, list[str]]]]:
    """{fixture: {logical id: (result, details)}} for the records of the fixture's own check."""
    checkov = Path(sys.executable).parent / "checkov"
    command = [
        str(checkov),
        "--framework", "cloudformation",
        "--skip-download",
        "--external-checks-dir", str(POLICIES.relative_to(ROOT)),
        "--check", ",".join(check_ids),
        "--output", "json",
        "--file", *(str(fixture.relative_to(ROOT)) for fixture in fixtures),
    ]
    # Relative paths from the repository root, as scripts/test runs checkov.
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    try:
        report = json.loads(finished.stdout)
    except ValueError:
        sys.exit(f"checkov gave no JSON report (exit {finished.returncode}):\n{finished.stderr}")
    if report["summary"].get("parsing_errors"):
        sys.exit(f"checkov could not parse a fixture: {report['results'].get('parsing_errors')}")
    by_fixture: dict[Path, dict[str, tuple[str, list[str]]]] = {}
    reasons: dict[tuple[Path, str], list[str]] = {}
    for line in finished.stderr.splitlines():
        match = REASON.search(line)
        if match:
            check_id, path, logical_id, why = match.groups()
            reasons.setdefault(((ROOT / path).resolve(), logical_id), []).append(f"{check_id}: {why}")
    for kind in ("passed_checks", "failed_checks", "skipped_checks"):
        for record in report["results"].get(kind, []):
            fixture = (ROOT / record["file_abs_path"]).resolve()
            if record["check_id"] != fixture.parent.name:
                continue  # another check's answer; each directory tests its own
            logical_id = record["resource"].rsplit(".", 1)[-1]
            result = record["check_result"]["result"]
            why = [each for each in reasons.get((fixture, logical_id), []) if each.startswith(record["check_id"] + ":")]
            by_fixture.setdefault(fixture, {})[logical_id] = (result, why)
    return by_fixture


def _fixture_problems(fixture: Path, answers: dict[str, tuple[str, list[str]]]) -> list[str]:
    from checkov.cloudformation.parser import parse

    name = f"{fixture.parent.name}/{fixture.name}"
    template, _lines = parse(str(fixture))
    resources = template.get("Resources", {}) if isinstance(template, dict) else {}
    allowed = FILE_ALLOWS[next(kind for kind in FILE_ALLOWS if fixture.name.startswith(kind))]
    problems = []
    for logical_id in resources:
        prefix = next((prefix for prefix in EXPECTED if logical_id.startswith(prefix)), None)
        answer = answers.get(logical_id)
        if prefix is None:
            if answer is not None:
                problems.append(f"{name}: {logical_id} is scaffolding but was answered {answer[0]}")
            continue
        if prefix not in allowed:
            problems.append(f"{name}: {logical_id} does not belong in a {fixture.name.split('.')[0]} file")
        if answer is None:
            problems.append(f"{name}: {logical_id} expected {EXPECTED[prefix]}, but the check did not look at it")
        elif answer[0] != EXPECTED[prefix]:
            details = f" ({'; '.join(answer[1])})" if answer[1] else ""
            problems.append(f"{name}: {logical_id} expected {EXPECTED[prefix]}, got {answer[0]}{details}")
    return problems


def _wildcard_only_problems() -> list[str]:
    from policy_sentry.querying.actions import get_actions_that_support_wildcard_arns_only

    sys.path.insert(0, str(POLICIES))
    from least_privilege import WILDCARD_ONLY_ACTIONS

    problems = []
    for action in sorted(WILDCARD_ONLY_ACTIONS):
        service = action.split(":", 1)[0]
        wildcard_only = {each.lower() for each in get_actions_that_support_wildcard_arns_only(service)}
        if action not in wildcard_only:
            problems.append(f"least_privilege.WILDCARD_ONLY_ACTIONS: {action} takes a resource ARN (policy_sentry)")
    return problems


if __name__ == "__main__":
    sys.exit(main())
