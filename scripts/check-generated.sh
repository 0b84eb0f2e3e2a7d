#!/usr/bin/env bash
# Fails when the committed completions/ or man/ differ from what the command
# tree generates now: it regenerates into a temporary directory and diffs.
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./internal/gendocs -out "$work"
stale=0
for dir in completions man; do
	if ! diff -ru "$dir" "$work/$dir" >"$work/$dir.diff" 2>&1; then
		stale=1
		echo "$dir/ is stale:" >&2
		head -n 40 "$work/$dir.diff" >&2
	fi
done
if [ "$stale" -ne 0 ]; then
	echo >&2
	echo "completions or man pages are out of date with the command tree: run scripts/gen-docs.sh and commit the result" >&2
	exit 1
fi
echo "completions/ and man/ are up to date"
