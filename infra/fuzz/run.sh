#!/usr/bin/env bash
# Runs every Fuzz target of the module for FUZZTIME each (default 30s), one at a time:
# go test -fuzz takes one target per run. Seed corpora live in each package's testdata.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime=${FUZZTIME:-30s}
status=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "== $pkg $target ($fuzztime)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			status=1
		fi
	done
done
exit $status
