#!/usr/bin/env bash
# Release check: validates .goreleaser.yaml with the pinned goreleaser, builds
# a snapshot for this platform exactly as a release would, and checks that
# the binary is static (CGO_ENABLED=0) and carries its version.
#   scripts/release-check.sh          # check + snapshot build for this platform
#   scripts/release-check.sh --full   # also every platform, archives, deb/rpm, the cask (no publishing)
# goreleaser is installed from the Go module proxy into a temporary GOBIN
# unless the pinned version is already on PATH; set GORELEASER to a binary
# of the pinned version to skip the install.
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Go toolchain (go.mod's toolchain line; machines start on their own Go).
export GOTOOLCHAIN=go1.27.3
pinned=v2.15.1
full=false
case "${1:-}" in
"") ;;
--full) full=true ;;
*) echo "usage: scripts/release-check.sh [--full]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version_of() { "$1" --version 2>/dev/null | sed -n 's/^GitVersion:[[:space:]]*//p'; }
goreleaser=${GORELEASER:-}
if [ -z "$goreleaser" ] && command -v goreleaser >/dev/null && [ "$(version_of goreleaser)" = "$pinned" ]; then
	goreleaser=goreleaser
fi
if [ -z "$goreleaser" ]; then
	start=$SECONDS
	GOBIN="$work/bin" go install "github.com/goreleaser/goreleaser/v2@$pinned"
	goreleaser="$work/bin/goreleaser"
	echo "installed goreleaser $pinned in $((SECONDS - start))s"
fi
if [ "$(version_of "$goreleaser")" != "$pinned" ]; then
	echo "goreleaser is $(version_of "$goreleaser"), want $pinned" >&2
	exit 1
fi

# Deprecated settings are reported by check; fail on them too.
"$goreleaser" check 2>&1 | tee "$work/check.log"
if grep -qi deprecat "$work/check.log"; then
	echo ".goreleaser.yaml uses deprecated settings" >&2
	exit 1
fi

bin="$work/baverify"
"$goreleaser" build --snapshot --clean --single-target --output "$bin"

meta=$(go version -m "$bin")
if ! grep -q 'CGO_ENABLED=0' <<<"$meta"; then
	echo "the snapshot binary is not a static build:" >&2
	echo "$meta" >&2
	exit 1
fi
line=$("$bin" --version)
echo "$line"
case "$line" in
"baverify version dev"*)
	echo "the snapshot binary carries no version: check the ldflags in .goreleaser.yaml" >&2
	exit 1
	;;
esac
if [ "$("$bin" version)" != "$line" ]; then
	echo "baverify version and baverify --version disagree" >&2
	exit 1
fi

if $full; then
	"$goreleaser" release --snapshot --clean --skip=publish
fi
echo "release check passed"
