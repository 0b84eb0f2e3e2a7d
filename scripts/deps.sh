#!/usr/bin/env bash
# Installs what the end-to-end tests need on a fresh machine, and nothing
# when it is already there:
#   - the Better Auth test server's npm packages (npm ci, pinned by its lock file)
#   - Debian's Python packages for the FastAPI test backends
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(python3-fastapi python3-uvicorn python3-jose python3-jwt python3-httpx python3-cryptography)

if ! /usr/bin/python3 -c 'import fastapi, uvicorn, jose, jwt, httpx, cryptography' 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "deps: installing ${debian_packages[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debian_packages[@]}" >/dev/null
	else
		echo "deps: the test backends need Debian's ${debian_packages[*]}; install them (as root: apt-get install ${debian_packages[*]})" >&2
		exit 1
	fi
fi

server=testdata/betterauth
if [ ! -f "$server/node_modules/better-auth/package.json" ] ||
	! cmp -s "$server/package-lock.json" "$server/node_modules/.package-lock.json.ci" 2>/dev/null; then
	echo "deps: npm ci in $server"
	(cd "$server" && npm ci --no-audit --no-fund --loglevel=error)
	cp "$server/package-lock.json" "$server/node_modules/.package-lock.json.ci"
fi
