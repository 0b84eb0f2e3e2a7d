#!/usr/bin/env bash
# Whole-process timing: `baverify token` on a local JWKS against a
# hello-world Go binary and golang-jwt's CLI verifying the same token with
# the same key, all built the same way (CGO_ENABLED=0, -trimpath, -s -w),
# run alternately by hyperfine. The machine is noisy: read the ratios from
# one run, never the absolute times.
#   scripts/bench-startup.sh            # EdDSA, the Better Auth default
#   ALG=RS256 RUNS=300 scripts/bench-startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
alg=${ALG:-EdDSA}
runs=${RUNS:-200}
command -v hyperfine >/dev/null || { echo "needs hyperfine (Debian package hyperfine)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0
build=(-trimpath -ldflags "-s -w")

go build "${build[@]}" -o "$work/baverify" .
mkdir -p "$work/hello"
cat >"$work/hello/main.go" <<'GO'
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
GO
(cd "$work/hello" && go mod init hello >/dev/null 2>&1 && go build "${build[@]}" -o "$work/hello-bin" .)
GOBIN="$work" go install "${build[@]}" github.com/golang-jwt/jwt/v5/cmd/jwt@v5.3.1

data=testdata/real/$alg
go run ./scripts/jwk2pem "$data/jwks.json" >"$work/key.pem"
origin=$(sed -n 's/.*"origin": *"\([^"]*\)".*/\1/p' "$data/meta.json")
iat=$(sed -n 's/.*"iat": *\([0-9]*\).*/\1/p' "$data/meta.json")
now=$((iat + 60))

# Both tools must really verify before they are timed.
"$work/baverify" token --jwks "$data/jwks.json" --issuer "$origin" --audience "$origin" --now "$now" --token-file "$data/token.jwt" >/dev/null
# golang-jwt's CLI checks exp against the real clock; the captured token
# has expired, so it verifies the signature and then fails on exp: time
# it on a path that does the same work (parse, verify) and accept exit 1.
"$work/jwt" -alg "$alg" -key "$work/key.pem" -verify "$data/token.jwt" >/dev/null 2>&1 || true

hyperfine -N --warmup 20 --runs "$runs" -i \
	--export-json "$work/timing.json" \
	-n hello "$work/hello-bin" \
	-n "baverify token" "$work/baverify token --jwks $data/jwks.json --issuer $origin --audience $origin --now $now --token-file $data/token.jwt" \
	-n "golang-jwt -verify" "$work/jwt -alg $alg -key $work/key.pem -verify $data/token.jwt"

python3 - "$work/timing.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
print("\nmedian ratios to hello-world (same build flags, one run):")
for x in r:
    print(f"  {x['command']:<22} {x['median']/base:5.2f}x")
PY
