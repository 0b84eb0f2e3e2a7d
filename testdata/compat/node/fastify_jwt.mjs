// Fastify with @fastify/jwt and get-jwks, as @fastify/jwt's README shows
// for a JWKS ("secret" a function of the decoded token asking get-jwks),
// verified in an onRequest hook. `node fastify_jwt.mjs pem` measures the
// fix: the JWK turned into a PEM with crypto.createPublicKey.
import { createPublicKey } from "node:crypto";
import Fastify from "fastify";
import fjwt from "@fastify/jwt";
import buildGetJwks from "get-jwks";
import { runHTTP } from "./cases.mjs";

const pem = process.argv[2] === "pem";

await runHTTP(
  "@fastify/jwt",
  async (c, record) => {
    const url = new URL(c.jwksUrl);
    const getJwks = buildGetJwks({ issuersWhitelist: [url.origin], jwksPath: url.pathname });
    const app = Fastify();
    app.register(fjwt, {
      decode: { complete: true },
      secret: async (request, token) => {
        const { header, payload } = token;
        if (pem) {
          const jwk = await getJwks.getJwk({ kid: header.kid, alg: header.alg, domain: payload.iss });
          return createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
        }
        return getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: payload.iss });
      },
      verify: { algorithms: [c.alg], allowedIss: c.issuer, allowedAud: c.audience },
    });
    app.addHook("onRequest", async (request) => {
      try {
        await request.jwtVerify();
      } catch (err) {
        record(err);
        throw err;
      }
    });
    app.get("/me", async (request) => ({ sub: request.user.sub }));
    await app.ready();
    return app.server;
  },
  "get-jwks",
);
