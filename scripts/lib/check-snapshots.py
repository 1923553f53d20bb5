#!/usr/bin/env python3
"""Fails when a snapshot file is no longer asserted by any test (an unreferenced snapshot
hides a deleted or renamed test), or when a snapshot change is pending review (.snap.new).

insta names snapshot files `<crate>__<module>__<name>.snap`; the test module must name the
snapshot in an `assert_*_snapshot!("<name>", ...)` call (or `!(name, ...)` from a loop over
literal names, which must then appear as a string literal in that module)."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
problems = []
for folder in root.glob("**/tests/**/snapshots"):
    if "node_modules" in folder.parts or "target" in folder.parts:
        continue
    tests = folder.parent
    for snap in sorted(folder.iterdir()):
        if snap.name.endswith(".snap.new") or snap.name.endswith(".pending-snap"):
            problems.append(f"{snap.relative_to(root)}: a snapshot change waits for review")
            continue
        if not snap.name.endswith(".snap"):
            continue
        parts = snap.name[: -len(".snap")].split("__")
        if len(parts) < 3:
            problems.append(f"{snap.relative_to(root)}: not a snapshot name insta makes")
            continue
        module, name = parts[-2], parts[-1]
        source = tests / f"{module}.rs"
        text = source.read_text() if source.exists() else ""
        if "snapshot!" not in text or not re.search(r'"' + re.escape(name) + r'"', text):
            problems.append(
                f"{snap.relative_to(root)}: no test in {source.relative_to(root)} asserts "
                f"the snapshot \"{name}\"; delete the file or restore the test"
            )
for problem in problems:
    print(problem)
if problems:
    sys.exit(1)
print("snapshots: every snapshot is asserted by a test")
