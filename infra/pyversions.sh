#!/usr/bin/env bash
# pyversions.sh prints one notice line when an installed Python tool's version differs
# from infra/requirements.txt (or the tool is missing); it never fails.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python3 - "$here/requirements.txt" <<'PY' 2>/dev/null || true
import re, sys
from importlib.metadata import version, PackageNotFoundError
diffs = []
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^\s#]+)", line)
    if not m:
        continue
    name, want = m.groups()
    try:
        got = version(name)
    except PackageNotFoundError:
        got = "missing"
    if got != want:
        diffs.append(f"{name} {got} (tested: {want})")
if diffs:
    print("notice: Python tools differ from infra/requirements.txt: " + ", ".join(diffs))
PY
