#!/usr/bin/env bash
# Installs what the end-to-end tests need on a fresh machine, and nothing
# when it is already there:
#   - the Better Auth test server's npm packages (npm ci, pinned by its lock file)
#   - Debian's Python packages for the FastAPI test backends, and Debian's
#     Python and Ruby JWT libraries and frameworks that the compatibility
#     suite measures (Django REST framework + simplejwt, json-jwt)
#   - the compatibility suite's npm packages (testdata/compat/node, npm ci)
#     and Go modules (testdata/compat/go, its own module)
#   - its Rust verifier (testdata/compat/rust), built offline from Debian's
#     crates (crates.io is not needed) with cargo
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(python3-fastapi python3-uvicorn python3-jose python3-jwt python3-httpx python3-cryptography
	python3-authlib python3-jwcrypto python3-django python3-djangorestframework python3-djangorestframework-simplejwt
	ruby ruby-jwt ruby-json-jwt)

if ! /usr/bin/python3 -c 'import fastapi, uvicorn, jose, jwt, httpx, cryptography, authlib, jwcrypto, django, rest_framework, rest_framework_simplejwt' 2>/dev/null ||
	! /usr/bin/ruby -e 'require "jwt"; require "json/jwt"' 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "deps: installing ${debian_packages[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debian_packages[@]}" >/dev/null
	else
		echo "deps: the test backends and the compatibility suite need Debian's ${debian_packages[*]}; install them (as root: apt-get install ${debian_packages[*]})" >&2
		exit 1
	fi
fi

# npm ci only when the lock file changed since the last install.
for project in testdata/betterauth testdata/compat/node; do
	if [ ! -f "$project/node_modules/.package-lock.json" ] ||
		! cmp -s "$project/package-lock.json" "$project/node_modules/.package-lock.json.ci" 2>/dev/null; then
		echo "deps: npm ci in $project"
		(cd "$project" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$project/package-lock.json" "$project/node_modules/.package-lock.json.ci"
	fi
done

# The Go libraries the compatibility suite measures live in their own module,
# never in baverify's go.mod. A no-op when the module cache has them.
(cd testdata/compat/go && go mod download)

# The Rust verifier: Debian's jsonwebtoken crate and cargo (any cargo; Debian's
# when none is installed), built once into testdata/compat/rust/target so
# that the conformance test's own build is a no-op.
rust_packages=(librust-jsonwebtoken-dev librust-serde-json-dev)
if ! ls -d /usr/share/cargo/registry/jsonwebtoken-* >/dev/null 2>&1 || ! command -v cargo >/dev/null; then
	command -v cargo >/dev/null || rust_packages+=(cargo)
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "deps: installing ${rust_packages[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${rust_packages[@]}" >/dev/null
	else
		echo "deps: the compatibility suite's Rust verifier needs Debian's ${rust_packages[*]}; install them (as root: apt-get install ${rust_packages[*]})" >&2
		exit 1
	fi
fi
(cd testdata/compat/rust && cargo build --offline --quiet)
