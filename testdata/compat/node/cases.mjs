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
import { readFileSync } from "node:fs";
import readline from "node:readline";

// versionOf reads the installed package's package.json from node_modules
// (some packages, hono among them, do not export it).
export function versionOf(pkg) {
  const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

export async function fetchJWKS(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.json();
}

// errorText is "Class: message", plus the error it wraps when there is one
// (fast-jwt's TokenError keeps it in originalError, express-jwt's UnauthorizedError in inner).
export function errorText(err) {
  const name = err?.constructor?.name ?? typeof err;
  let text = `${name}: ${err?.message ?? String(err)}`;
  const cause = err?.originalError ?? err?.cause ?? err?.inner;
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

// runHTTP measures a framework: for every case, serve(c, record) builds the
// app the way the framework's docs show, with one route GET /me that
// answers the verified claims' sub, and returns a node:http Server (not yet
// listening) or an object with listen(port, host) and close(). The route is
// called on 127.0.0.1 with the token as a Bearer credential and the outcome
// is the status the framework answers: 200 ok, 401 rejected, anything else
// crash (a 500). record(err) is how the app reports the error it handled,
// which becomes the result's error ("HTTP 401: body" when none was).
export async function runHTTP(pkg, serve, companion = "") {
  const version = versionOf(pkg);
  const withText = companion ? `${companion} ${versionOf(companion)}` : "";
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    const result = { outcome: "ok", error: "", version, with: withText, status: 0 };
    let recorded;
    const server = await serve(c, (err) => {
      recorded ??= err;
    });
    try {
      await new Promise((resolve, reject) => {
        server.once?.("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
      const { port } = server.address();
      const res = await fetch(`http://127.0.0.1:${port}/me`, {
        headers: { authorization: `Bearer ${c.token}` },
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.text();
      result.status = res.status;
      if (res.status === 200) {
        if (!body.includes('"sub"')) throw new Error(`answered 200 without the claims: ${body.slice(0, 200)}`);
      } else {
        result.outcome = res.status === 401 ? "rejected" : "crash";
        result.error = recorded ? errorText(recorded) : `HTTP ${res.status}: ${body.slice(0, 200)}`;
      }
    } catch (err) {
      result.outcome = "crash";
      result.error = `the harness failed: ${errorText(err)}`;
    } finally {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    }
    process.stdout.write(JSON.stringify(result) + "\n");
  }
}
