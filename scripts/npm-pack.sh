#!/usr/bin/env bash
# Builds baverify's npm packages and writes their tarballs (npm pack) into OUTDIR:
#   baverify-VERSION.tgz                 the launcher (npm/baverify), with exact
#                                        optionalDependencies on the six below
#   baverify-<platform>-VERSION.tgz      @baverify/<platform>: the static binary
# The binaries are built as the release builds them: CGO_ENABLED=0, -trimpath and
# .goreleaser.yaml's ldflags, with version, commit and date filled in.
#   scripts/npm-pack.sh OUTDIR                          # all six platforms and the launcher
#   scripts/npm-pack.sh --platforms linux-x64 OUTDIR    # only these (comma-separated; "host" is this machine)
# BAVERIFY_NPM_PLATFORMS is the default for --platforms. VERSION is the tag on
# HEAD without its "v" (git describe --tags --exact-match), else 0.0.0-dev.
# The build date is SOURCE_DATE_EPOCH when set, else the commit's date, so that
# packing one commit twice gives the same binaries.
set -euo pipefail
usage() { echo "usage: scripts/npm-pack.sh [--platforms LIST] OUTDIR" >&2; exit 2; }
platforms=${BAVERIFY_NPM_PLATFORMS:-all}
out=
while [ $# -gt 0 ]; do
	case "$1" in
	--platforms) [ $# -ge 2 ] || usage; platforms=$2; shift 2 ;;
	--platforms=*) platforms=${1#--platforms=}; shift ;;
	-*) usage ;;
	*) [ -z "$out" ] || usage; out=$1; shift ;;
	esac
done
[ -n "$out" ] || usage
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3

all=$(node -p 'Object.keys(require("./npm/baverify/bin/baverify.js").PLATFORMS).join(" ")')
host=$(node -p 'process.platform + "-" + process.arch')
case "$platforms" in
all) platforms=$all ;;
*) platforms=${platforms//,/ }; platforms=${platforms//host/$host} ;;
esac
for p in $platforms; do
	case " $all " in *" $p "*) ;; *) echo "npm-pack: unknown platform $p (known: $all, host)" >&2; exit 2 ;; esac
done

version=$(git describe --tags --exact-match 2>/dev/null || true)
version=${version#v}
version=${version:-0.0.0-dev}
commit=$(git rev-parse HEAD 2>/dev/null || true)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$epoch" +%Y-%m-%dT%H:%M:%SZ)

# The ldflags are .goreleaser.yaml's, so the two cannot drift apart.
ldflags=$(sed -n '/^[[:space:]]*ldflags:/{n;s/^[[:space:]]*-[[:space:]]*//p;}' .goreleaser.yaml)
ldflags=${ldflags//'{{.Version}}'/$version}
ldflags=${ldflags//'{{.Commit}}'/$commit}
ldflags=${ldflags//'{{.Date}}'/$date}
case "$ldflags" in
*'{{'* | '') echo "npm-pack: cannot use the ldflags in .goreleaser.yaml: '$ldflags'" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pack DIR: npm pack, then the tarball's name and size.
pack() {
	local f
	f=$(cd "$1" && npm pack --pack-destination "$out" --loglevel=error | tail -n 1)
	echo "npm-pack: $out/$f ($(wc -c <"$out/$f") bytes)"
}

echo "npm-pack: baverify $version ($commit, $date) for: $platforms"
for p in $platforms; do
	start=$SECONDS
	goos=${p%-*} goarch=${p#*-}
	exe=baverify
	[ "$goos" = win32 ] && goos=windows exe=baverify.exe
	[ "$goarch" = x64 ] && goarch=amd64
	dir="$work/$p"
	node npm/stage.js platform "$version" "$p" "$dir"
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "$ldflags" -o "$dir/bin/$exe" .
	chmod 0755 "$dir/bin/$exe"
	# What Go recorded in the binary: a static build for this platform.
	meta=$(go version -m "$dir/bin/$exe")
	for want in CGO_ENABLED=0 "GOOS=$goos" "GOARCH=$goarch" -trimpath=true; do
		grep -q -- "build[[:space:]]*$want\$" <<<"$meta" || { echo "npm-pack: $p: the binary is not built with $want:" >&2; echo "$meta" >&2; exit 1; }
	done
	echo "npm-pack: built @baverify/$p in $((SECONDS - start))s"
	pack "$dir"
done
node npm/stage.js main "$version" "$work/baverify"
pack "$work/baverify"
