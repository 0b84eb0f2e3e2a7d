#!/usr/bin/env bash
# Fails when the committed completions/ or man/ differ from what the command
# tree generates now, or README's compatibility table from what
# internal/compat/matrix.json generates: it regenerates into a temporary
# directory and diffs.
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp README.md "$work/README.md" # gendocs rewrites only its compatibility section
go run ./internal/gendocs -out "$work"
stale=0
for dir in completions man; do
	if ! diff -ru "$dir" "$work/$dir" >"$work/$dir.diff" 2>&1; then
		stale=1
		echo "$dir/ is stale:" >&2
		head -n 40 "$work/$dir.diff" >&2
	fi
done
if ! diff -u README.md "$work/README.md" >"$work/readme.diff" 2>&1; then
	stale=1
	echo "README.md's compatibility table is stale:" >&2
	head -n 40 "$work/readme.diff" >&2
fi
if [ "$stale" -ne 0 ]; then
	echo >&2
	echo "completions, man pages or README's compatibility table are out of date (with the command tree, or internal/compat/matrix.json): run scripts/gen-docs.sh and commit the result" >&2
	exit 1
fi
echo "completions/, man/ and README's compatibility table are up to date"
