#!/usr/bin/env bash
# Publishes the tarballs that scripts/npm-pack.sh wrote into PACKDIR: the six
# @baverify/<platform> packages first, then baverify, whose exact
# optionalDependencies must already be on the registry when anyone installs it.
# A dry run (npm publish --dry-run) unless --publish is given:
#   scripts/npm-pack.sh dist/npm && scripts/npm-publish.sh dist/npm              # show what would be published
#   scripts/npm-publish.sh --publish dist/npm -- --provenance                    # publish (release job)
# Arguments after -- go to every npm publish. A version with a pre-release
# part (1.3.0-rc.1) is published under the dist-tag "next", never "latest";
# 0.0.0-dev (an untagged commit) is never published. A version already on the
# registry is skipped, so a release that failed part-way can be rerun.
set -euo pipefail
usage() { echo "usage: scripts/npm-publish.sh [--publish] PACKDIR [-- NPM-PUBLISH-ARGS...]" >&2; exit 2; }
dry=(--dry-run)
dir=
while [ $# -gt 0 ]; do
	case "$1" in
	--publish) dry=(); shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) [ -z "$dir" ] || usage; dir=$1; shift ;;
	esac
done
[ -n "$dir" ] || usage
# npm reads a relative "dist/npm/baverify-1.2.3.tgz" as the GitHub repository
# dist/npm: give it the absolute path.
[ -d "$dir" ] || { echo "npm-publish: $dir is not a folder" >&2; exit 1; }
dir=$(cd "$dir" && pwd)
extra=("$@")

shopt -s nullglob
main=("$dir"/baverify-[0-9]*.tgz)
[ ${#main[@]} -eq 1 ] || { echo "npm-publish: want one baverify-VERSION.tgz in $dir, found ${#main[@]}" >&2; exit 1; }
version=${main[0]##*/baverify-}
version=${version%.tgz}
read -r -a platforms <<<"$(node -p 'Object.keys(require(process.argv[1]).PLATFORMS).join(" ")' "$(cd "$(dirname "$0")/.." && pwd)/npm/baverify/bin/baverify.js")"
tarballs=()
for p in "${platforms[@]}"; do
	f="$dir/baverify-$p-$version.tgz"
	[ -f "$f" ] || { echo "npm-publish: $f is missing: pack every platform (scripts/npm-pack.sh $dir)" >&2; exit 1; }
	tarballs+=("$f")
done
tarballs+=("${main[0]}")

if [ "$version" = 0.0.0-dev ] && [ ${#dry[@]} -eq 0 ]; then
	echo "npm-publish: 0.0.0-dev is an untagged build; publish from a release tag" >&2
	exit 1
fi
tag=latest
case "$version" in *-*) tag=next ;; esac

for f in "${tarballs[@]}"; do
	name=$(tar xzOf "$f" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).name')
	# A rerun after a failure part-way skips what is already there (the
	# registry refuses a version twice) and goes on with the rest.
	if [ "$(npm view "$name@$version" version 2>/dev/null || true)" = "$version" ]; then
		echo "npm-publish: $name@$version is already on the registry; skipped"
		continue
	fi
	echo "npm-publish: npm publish ${dry[*]} --access public --tag $tag ${extra[*]} $f   ($name@$version)"
	npm publish "${dry[@]}" --access public --tag "$tag" "${extra[@]}" "$f"
done
