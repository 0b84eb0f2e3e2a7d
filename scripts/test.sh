#!/usr/bin/env bash
# The whole test suite, as README.md gives it: installs what the
# end-to-end tests need (scripts/deps.sh), then runs every test with the
# race detector. The end-to-end tests start a real Better Auth server and
# real FastAPI backends on 127.0.0.1; they fail, never skip, without them.
# Then the tests of the npm launcher, with Node's own test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
scripts/deps.sh
go test -race -count=1 "$@" ./...
node --test npm/test/shim.test.js npm/test/scripts.test.js
