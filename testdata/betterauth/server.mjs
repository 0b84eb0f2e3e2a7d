// A real Better Auth server with the jwt plugin, for baverify's tests.
// It listens on 127.0.0.1 only, keeps everything in memory, and prints one
// line {"ready":true,"port":N,"baseURL":"..."} to stdout once it serves.
// Configuration comes from the environment; see README.md.
import http from "node:http";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

const env = process.env;
const ALGS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"];

function fail(message) {
  console.error(`server.mjs: ${message}`);
  process.exit(2);
}

// Seconds (a fraction such as 0.001 too), or undefined when unset or 0.
function seconds(name) {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fail(`${name} must be a number of seconds, got ${raw}`);
  return n === 0 ? undefined : n;
}

function list(name) {
  return (env[name] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

function flag(name) {
  return ["1", "true", "yes"].includes((env[name] ?? "").toLowerCase());
}

const alg = env.ALG || "EdDSA";
if (!ALGS.includes(alg)) fail(`ALG must be one of ${ALGS.join(", ")}, got ${alg}`);
const keyPairConfig = alg === "EdDSA" ? { alg, crv: "Ed25519" } : { alg };

const audiences = (env.AUDIENCE ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const basePath = env.BASE_PATH ?? "";
if (basePath !== "" && !basePath.startsWith("/")) fail(`BASE_PATH must start with "/", got ${basePath}`);

// CORS=1 puts a CORS layer in front of Better Auth, as an app's framework
// middleware does (Hono's cors(), Express's cors): it allows the origins in
// CORS_ORIGINS with credentials, and sets Access-Control-Expose-Headers to
// CORS_EXPOSE_HEADERS, replacing what Better Auth set (set-auth-jwt), as
// those middlewares do.
const cors = flag("CORS") ? { origins: list("CORS_ORIGINS"), expose: list("CORS_EXPOSE_HEADERS").join(", ") } : null;

function corsLayer(req, res) {
  if (!cors) return;
  const origin = req.headers.origin;
  const writeHead = res.writeHead;
  res.writeHead = function (...args) {
    if (origin && cors.origins.includes(origin)) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Allow-Credentials", "true");
      res.setHeader("Vary", "Origin");
    }
    if (cors.expose === "") res.removeHeader("Access-Control-Expose-Headers");
    else res.setHeader("Access-Control-Expose-Headers", cors.expose);
    return writeHead.apply(this, args);
  };
}

// These would silently override the options below.
delete env.BETTER_AUTH_SECRETS;
delete env.BETTER_AUTH_TELEMETRY;

let handle = (req, res) => {
  res.statusCode = 503;
  res.end("starting");
};
const server = http.createServer((req, res) => handle(req, res));
server.on("error", (err) => fail(`listen: ${err.message}`));

// baseURL must carry the real port, so listen first and build the auth
// instance afterwards.
server.listen(Number(env.PORT || 0), "127.0.0.1", async () => {
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  const baseURL = origin + basePath;

  const auth = betterAuth({
    baseURL,
    secret: env.SECRET || "baverify-test-only-secret-do-not-use-anywhere-else",
    database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
    emailAndPassword: { enabled: true, requireEmailVerification: false },
    trustedOrigins: [origin, ...(cors?.origins ?? [])],
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    plugins: [
      jwt({
        jwks: {
          keyPairConfig,
          rotationInterval: seconds("ROTATION_INTERVAL"),
          gracePeriod: seconds("GRACE_PERIOD"),
          jwksPath: env.JWKS_PATH || undefined,
        },
        jwt: {
          issuer: env.ISSUER || undefined,
          audience: audiences.length === 0 ? undefined : audiences.length === 1 ? audiences[0] : audiences,
          expirationTime: env.EXPIRATION_TIME || undefined,
        },
        disableSettingJwtHeader: flag("DISABLE_JWT_HEADER"),
      }),
    ],
  });
  // Surface configuration errors before saying ready.
  await auth.$context.catch((err) => fail(`better-auth: ${err.message}`));
  const authHandler = toNodeHandler(auth);
  // Test only: POST /test/sign-jwt {"payload": {...}} signs the payload
  // with the deployment's key through auth.api.signJWT, the way a user
  // mints an expired or other-audience token for baverify probe. The
  // server listens on 127.0.0.1 only.
  handle = (req, res) => {
    corsLayer(req, res);
    if (req.method === "POST" && req.url === "/test/sign-jwt") return signForTest(auth, req, res);
    return authHandler(req, res);
  };
  console.log(JSON.stringify({ ready: true, port, baseURL }));
});

async function signForTest(auth, req, res) {
  let body = "";
  for await (const chunk of req) body += chunk;
  try {
    const { payload } = JSON.parse(body);
    const { token } = await auth.api.signJWT({ body: { payload } });
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ token }));
  } catch (err) {
    res.statusCode = 400;
    res.end(JSON.stringify({ error: String(err?.message ?? err) }));
  }
}
