// The loop every Node verifier shares.
//
// stdin: one case a line, {"alg", "jwksUrl", "token", "issuer", "audience"}.
// stdout: one result a line, {"outcome", "error", "version", "with"}:
//   ok        the library returned the claims
//   rejected  it raised its own documented verification error (a backend
//             that follows the library's docs answers 401)
//   crash     any other error escaped (Express answers 500)
// version is the library's, with names the companion package and its
// version ("jwks-rsa 4.1.0") when the setup has one.
import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(import.meta.url);

export function versionOf(pkg) {
  return require(`${pkg}/package.json`).version;
}

export async function fetchJWKS(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

// errorText is "Class: message", plus the error it wraps when there is one
// (fast-jwt's TokenError keeps it in originalError).
export function errorText(err) {
  const name = err?.constructor?.name ?? typeof err;
  let text = `${name}: ${err?.message ?? String(err)}`;
  const cause = err?.originalError ?? err?.cause;
  if (cause) text += ` (caused by ${errorText(cause)})`;
  return text;
}

// run verifies every case of stdin with verify(case) → claims and sorts
// what it throws with isDocumented(err). companion is the package the
// setup uses beside pkg, if any.
export async function run(pkg, verify, isDocumented, companion = "") {
  const version = versionOf(pkg);
  const withText = companion ? `${companion} ${versionOf(companion)}` : "";
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    const result = { outcome: "ok", error: "", version, with: withText };
    try {
      const claims = await verify(c);
      if (!claims?.sub) throw new Error(`verified, but the claims have no sub: ${JSON.stringify(claims)}`);
    } catch (err) {
      result.outcome = isDocumented(err) ? "rejected" : "crash";
      result.error = errorText(err);
    }
    process.stdout.write(JSON.stringify(result) + "\n");
  }
}
