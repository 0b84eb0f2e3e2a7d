// Node backend (node:http) that verifies Better Auth JWTs with jsonwebtoken
// and jwks-rsa, written the way their READMEs show: a jwks-rsa client, a
// getKey callback that asks it for the token's kid, and jwt.verify with
// algorithms, issuer and audience. The errors jsonwebtoken documents
// (JsonWebTokenError, and TokenExpiredError and NotBeforeError, which extend
// it) become a 401; any other error goes where an Express app sends it with
// next(err), the default error handler: a plain 500.
//
// jsonwebtoken 9 has no EdDSA: for an Ed25519 key it raises a plain
// `Error: Unknown key type "ed25519".`, so EdDSA tokens end in a 500
// (measured by the conformance suite, internal/compat/matrix.json).
//
// The packages are the ones the conformance suite pins and measures
// (testdata/compat/node), so this backend runs exactly what the table says.
//
// Environment: JWKS_URL, ISSUER, AUDIENCE (required), PORT (default 0: any
// free port), ALGORITHMS (default: the five Better Auth signs with). Prints
// {"ready":true,"port":N} once it listens on 127.0.0.1.
import http from "node:http";
import { createRequire } from "node:module";

const require = createRequire(new URL("../compat/node/package.json", import.meta.url));
const jwt = require("jsonwebtoken");
const jwksClient = require("jwks-rsa");

const env = process.env;
for (const name of ["JWKS_URL", "ISSUER", "AUDIENCE"]) {
  if (!env[name]) {
    console.error(`jsonwebtoken_backend.mjs: ${name} is required`);
    process.exit(2);
  }
}
const ALGORITHMS = (env.ALGORITHMS || "EdDSA,ES256,ES512,RS256,PS256").split(",");

const client = jwksClient({ jwksUri: env.JWKS_URL });

function getKey(header, callback) {
  client.getSigningKey(header.kid, (err, key) => {
    if (err) return callback(err);
    callback(null, key.getPublicKey());
  });
}

function send(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

// What Express's default error handler answers for next(err) in production.
function internalError(res, err) {
  console.error(err);
  res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
  res.end("Internal Server Error");
}

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, "http://backend");
  if (pathname === "/healthz") return send(res, 200, { status: "ok" });
  if (pathname !== "/api/me") return send(res, 404, { error: "not found" });

  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (!m) return send(res, 401, { error: "missing bearer token" });
  jwt.verify(m[1], getKey, { algorithms: ALGORITHMS, issuer: env.ISSUER, audience: env.AUDIENCE }, (err, payload) => {
    if (err instanceof jwt.JsonWebTokenError) return send(res, 401, { error: err.message });
    if (err) return internalError(res, err);
    send(res, 200, { sub: payload.sub, email: payload.email });
  });
});
server.listen(Number(env.PORT || 0), "127.0.0.1", () => {
  console.log(JSON.stringify({ ready: true, port: server.address().port }));
});
