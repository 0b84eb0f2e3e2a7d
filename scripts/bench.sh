#!/usr/bin/env bash
# Batch verification speed and memory (docs/performance.md):
#  1. in process, per token, one core: Batch.Check against the raw standard
#     library signature check on the same bytes (EdDSA, ES256, RS256);
#  2. whole process: `baverify token --batch` on 20,000 Better Auth-shaped
#     EdDSA tokens against a stdlib-only yardstick verifier
#     (scripts/bench/yardstick), on 1 and 2 workers, run alternately;
#  3. peak memory (max RSS): 200,000 tokens against 20,000.
# The machine may be noisy: read the ratios, which come from runs side by
# side, not the absolute times.
#   scripts/bench.sh              # ROUNDS=7 rounds of the whole-process runs
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
rounds=${ROUNDS:-7}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time) for max RSS" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0
build=(-trimpath -ldflags "-s -w")
go build "${build[@]}" -o "$work/baverify" .
go build "${build[@]}" -o "$work/yardstick" ./scripts/bench/yardstick
mkdir -p "$work/20k" "$work/200k"
go run ./scripts/bench/gentokens -n 20000 -out "$work/20k"
go run ./scripts/bench/gentokens -n 200000 -out "$work/200k"

echo "== in process, per token, one core (median ratio of blocks run side by side)"
GOMAXPROCS=1 go test -run '^$' -bench BatchCheck -benchtime 2s -count 3 ./internal/verify |
	awk '/^Benchmark/ { for (i = 1; i <= NF; i++) { if ($i == "ratio") r = $(i-1); if ($i == "allocs/token") a = $(i-1); if ($i == "raw-allocs/token") ra = $(i-1) }; print "  " $1 "  ratio " r "  allocs/token " a " (raw signature check alone: " ra ")" }'

echo "== whole process: 20,000 EdDSA tokens, baverify token --batch / yardstick"
python3 - "$work" "$rounds" <<'PY'
import subprocess, sys, time, statistics
work, rounds = sys.argv[1], int(sys.argv[2])
iss, now = "http://localhost:3000", "1795722397"

def run(cmd, stdin):
    with open(stdin, "rb") as f:
        t = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S"] + cmd, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.monotonic() - t
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode()[-300:]}")
    rss, user, sys_ = p.stderr.decode().split()[-3:]
    return wall, int(rss), float(user) + float(sys_)  # seconds, max RSS in KiB, CPU seconds

def baverify(n, j):
    return [f"{work}/baverify", "token", "--batch", "-", "--jwks", f"{work}/{n}/jwks.json",
            "--issuer", iss, "--audience", iss, "--now", now, "-j", str(j)]

def yardstick(n, j):
    return [f"{work}/yardstick", "-jwks", f"{work}/{n}/jwks.json", "-iss", iss, "-aud", iss, "-now", now, "-j", str(j)]

def spread(r):
    r = sorted(r)
    return f"median {statistics.median(r):.2f}x (range {r[0]:.2f}-{r[-1]:.2f})"

for j in (1, 2):
    wall, cpu = [], []
    for _ in range(rounds):
        bw, _, bc = run(baverify("20k", j), f"{work}/20k/tokens.txt")
        yw, _, yc = run(yardstick("20k", j), f"{work}/20k/tokens.txt")
        wall.append(bw / yw)
        cpu.append(bc / yc)
    print(f"  -j {j}: wall time {spread(wall)}, CPU time {spread(cpu)} over {rounds} rounds (last: baverify {bw:.2f}s, yardstick {yw:.2f}s)")

print("== peak memory (max RSS), baverify token --batch -j 2")
for out in ("text", "json"):
    small = min(run(baverify("20k", 2) + ["-o", out], f"{work}/20k/tokens.txt")[1] for _ in range(3))
    large = min(run(baverify("200k", 2) + ["-o", out], f"{work}/200k/tokens.txt")[1] for _ in range(3))
    print(f"  -o {out}: 20,000 tokens {small/1024:.1f} MiB, 200,000 tokens {large/1024:.1f} MiB: {large/small:.2f}x")
PY
