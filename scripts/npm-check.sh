#!/usr/bin/env bash
# CI: packs the npm packages for this machine's platform (scripts/npm-pack.sh),
# installs the launcher and the platform tarball into an empty project with
# the registry out of reach, and runs baverify through the launcher as a user
# would:
#   npx baverify version                   the packed version, a static release build
#   README's first command (a real token)  exit 0
#   the same token with its signature changed   exit 1
#   Ctrl-C during a network wait           130, sent to the launcher alone and to the
#                                          whole process group of `npx baverify` (a terminal)
#   scripts/npm-check.sh [PACKDIR]   # PACKDIR: tarballs already packed by scripts/npm-pack.sh
set -euo pipefail
# PACKDIR as an absolute path, before the cd below: npm reads a relative
# "dist/npm/baverify-1.2.3.tgz" as the GitHub repository dist/npm.
pkgs=${1:-}
if [ -n "$pkgs" ]; then
	[ -d "$pkgs" ] || { echo "npm-check: $pkgs is not a folder" >&2; exit 2; }
	pkgs=$(cd "$pkgs" && pwd)
fi
cd "$(dirname "$0")/.."
repo=$(pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "npm-check: FAIL: $*" >&2; exit 1; }
# run SECONDS CMD...: CMD, killed when it outlives SECONDS (exit 124).
run() { timeout --kill-after=5 "$@"; }

host=$(node -p 'process.platform + "-" + process.arch')
if [ -z "$pkgs" ]; then
	pkgs="$work/pkgs"
	run 900 scripts/npm-pack.sh --platforms "$host" "$pkgs"
fi
main=$(ls "$pkgs"/baverify-[0-9]*.tgz)
plat=$(ls "$pkgs"/baverify-"$host"-[0-9]*.tgz)
version=${main##*/baverify-}
version=${version%.tgz}

# An empty project. The registry is an address nobody listens on and the
# cache is empty, so anything npm would fetch fails: the platform package can
# come only from its tarball. The other five optional dependencies cannot be
# fetched, and npm skips them as it skips any optional dependency that fails.
proj="$work/project"
mkdir -p "$proj"
cd "$proj"
echo '{"name": "npm-check", "version": "1.0.0", "private": true}' >package.json
export npm_config_registry=http://127.0.0.1:9/ npm_config_cache="$work/npm-cache" npm_config_update_notifier=false
run 120 npm install --offline --no-audit --no-fund --loglevel=error "$main" "$plat"
# baverify's own optional dependency is the installed platform package (deduped), not a second copy.
tree=$(npm ls --all --offline 2>&1 || true)
grep -q "@baverify/$host@$version deduped" <<<"$tree" || fail "the launcher's optional dependency is not the installed @baverify/$host:"$'\n'"$tree"
[ -x "node_modules/@baverify/$host/bin/baverify" ] || [ -f "node_modules/@baverify/$host/bin/baverify.exe" ] || fail "no executable binary in @baverify/$host"
echo "npm-check: installed baverify $version and @baverify/$host from the tarballs, offline"

line=$(run 60 npx --no baverify version)
echo "npm-check: npx baverify version: $line"
case "$line" in
"baverify version $version "*) ;;
*) fail "npx baverify version printed '$line', want version $version" ;;
esac
case "$line" in
*"(commit "*", built "*) ;;
*) fail "the packed binary carries no commit or build date: '$line'" ;;
esac

# README's first command, through npx.
real="$repo/testdata/real/EdDSA"
token_check() {
	run 60 npx --no baverify token --jwks "$real/jwks.json" --issuer http://127.0.0.1:46791 \
		--audience http://127.0.0.1:46791 --now 2026-11-26T19:50:00Z --token-file "$1"
}
code=0
token_check "$real/token.jwt" >"$work/valid.txt" 2>&1 || code=$?
[ "$code" -eq 0 ] || { cat "$work/valid.txt"; fail "the real token: exit $code, want 0"; }
grep -q '^VALID  ' "$work/valid.txt" || { cat "$work/valid.txt"; fail "the real token is not VALID"; }
echo "npm-check: README's token check: exit 0, VALID"

# The same token with one signature character changed (the middle of the
# signature, so that the bytes change and the encoding stays canonical).
node -e '
const fs = require("node:fs");
const [h, p, s] = fs.readFileSync(process.argv[1], "utf8").trim().split(".");
const i = s.length >> 1;
fs.writeFileSync(process.argv[2], [h, p, s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1)].join("."));
' "$real/token.jwt" "$work/tampered.jwt"
code=0
token_check "$work/tampered.jwt" >"$work/tampered.txt" 2>&1 || code=$?
[ "$code" -eq 1 ] || { cat "$work/tampered.txt"; fail "the tampered token: exit $code, want 1"; }
grep -q '\[FAIL\] signature' "$work/tampered.txt" || { cat "$work/tampered.txt"; fail "the tampered token did not fail on its signature"; }
echo "npm-check: the tampered token: exit 1, signature FAIL"

# Ctrl-C during a network wait: a listener on 127.0.0.1 that accepts and
# never answers; once baverify has connected (it watches for Ctrl-C before it
# waits), SIGINT goes to the launcher alone (kill, a CI runner), then to the
# whole process group of `npx baverify` (what a terminal does). A shell
# reports a process that a signal ended as 128 + n, so both count as 130.
cat >"$work/interrupt.js" <<'EOF'
const net = require('node:net');
const { spawn } = require('node:child_process');
const [target, ...cmd] = process.argv.slice(2);
let child;
const fail = (msg) => { console.error(`npm-check: FAIL: ${msg}`); if (child) try { process.kill(-child.pid, 'SIGKILL'); } catch {} process.exit(1); };
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  // connected: baverify is waiting for an answer that never comes
  setTimeout(() => (target === 'group' ? process.kill(-child.pid, 'SIGINT') : child.kill('SIGINT')), 300);
});
server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  // --timeout far beyond this script's own deadline: only Ctrl-C can end the wait
  child = spawn(cmd[0], [...cmd.slice(1), '--timeout', '5m', url], { stdio: ['ignore', 'inherit', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  setTimeout(() => fail(`${cmd.join(' ')}: still running 30s after it started (stderr: ${stderr})`), 30000).unref();
  child.on('exit', async (code, signal) => {
    const status = code !== null ? code : 128 + require('node:os').constants.signals[signal];
    if (status !== 130) fail(`${cmd.join(' ')}: SIGINT to the ${target}: exit ${code} signal ${signal}, want 130 (stderr: ${stderr})`);
    // Nothing of the run is left behind (an orphaned launcher or baverify
    // would still be waiting on the listener): the process group is empty.
    for (let i = 0; ; i++) {
      try { process.kill(-child.pid, 0); } catch { break; }
      if (i === 50) fail(`${cmd.join(' ')}: processes of the run are still there 5s after it ended`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!/interrupted/.test(stderr)) fail(`${cmd.join(' ')}: baverify did not say it was interrupted (stderr: ${stderr})`);
    console.log(`npm-check: Ctrl-C (SIGINT to the ${target}) during a network wait: ${code !== null ? `exit ${code}` : `ended by ${signal}`} = 130; stderr: ${stderr.trim()}`);
    process.exit(0);
  });
});
EOF
run 60 node "$work/interrupt.js" launcher node_modules/.bin/baverify jwks --no-cache
run 60 node "$work/interrupt.js" group npx --no baverify jwks --no-cache

echo "npm-check: passed"
