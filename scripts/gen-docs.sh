#!/usr/bin/env bash
# Regenerates the shell completions (completions/) and the man pages (man/)
# from the command tree, and README's compatibility table from
# internal/compat/matrix.json. Run it after changing a command, a flag or a help
# text, and commit the result: CI fails when they are stale
# (scripts/check-generated.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
go run ./internal/gendocs -out .
echo "wrote completions/, man/ and README's compatibility table"
