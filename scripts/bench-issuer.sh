#!/usr/bin/env bash
# Start to ready line of `baverify issuer serve`, whole process, with the
# built binary: N runs per algorithm, each timed from exec to the first
# line on stdout, and to the end of the first GET of the JWKS (the first
# key is made on first use, as Better Auth makes it, so an RSA key's
# generation shows there); then the process is stopped with SIGTERM.
# Prints medians and the slowest run in milliseconds. Not a test: a
# measurement.
#   scripts/bench-issuer.sh            # 21 runs per algorithm
#   N=51 ALGS="EdDSA ES256" scripts/bench-issuer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-21}
ALGS=${ALGS:-"EdDSA ES256 ES512 RS256 PS256"}
bin=$(mktemp -d)/baverify
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -trimpath -ldflags "-s -w" -o "$bin" .
python3 - "$bin" "$N" $ALGS <<'PY'
import json, os, signal, statistics, subprocess, sys, time, urllib.request
bin, n, algs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for alg in algs:
    ms, jwks = [], []
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(n):
        t0 = time.perf_counter()
        p = subprocess.Popen([bin, "issuer", "serve", "--alg", alg, "-o", "json"], stdout=subprocess.PIPE)
        line = p.stdout.readline()
        ms.append((time.perf_counter() - t0) * 1000)
        ready = json.loads(line)
        opener.open(ready["jwksURL"], timeout=10).read()
        jwks.append((time.perf_counter() - t0) * 1000)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        if not ready.get("ready") or p.returncode != 0:
            sys.exit(f"{alg}: ready line {line!r}, exit {p.returncode}")
    print(f"{alg:6} start to ready line: median {statistics.median(ms):6.1f} ms, slowest {max(ms):6.1f} ms;"
          f" to the first JWKS: median {statistics.median(jwks):6.1f} ms, slowest {max(jwks):6.1f} ms ({n} runs)")
PY
