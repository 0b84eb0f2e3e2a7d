#!/usr/bin/env bash
# Runs every fuzz target for a while (default 30s each): scripts/fuzz.sh 5m
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
fuzztime=${1:-30s}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "fuzz: $pkg $target ($fuzztime)"
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"
	done
done
