// Elysia with @elysiajs/jwt, on Node through @elysiajs/node. The plugin
// verifies with one key given at start, not a JWKS: the key is the JWKS's
// (Better Auth serves one), fetched when the app starts, as a backend would
// configure it; the route answers 401 when jwt.verify returns false, as the
// plugin's README shows. The plugin swallows the error, so a refusal has
// none to record.
import { Elysia } from "elysia";
import { node } from "@elysiajs/node";
import { jwt } from "@elysiajs/jwt";
import { fetchJWKS, runHTTP } from "./cases.mjs";

await runHTTP(
  "@elysiajs/jwt",
  async (c) => {
    const { keys } = await fetchJWKS(c.jwksUrl);
    const app = new Elysia({ adapter: node() })
      .use(jwt({ name: "jwt", secret: keys[0], alg: c.alg, iss: c.issuer, aud: c.audience }))
      .get("/me", async ({ jwt, headers, status }) => {
        const claims = await jwt.verify(headers.authorization?.replace(/^Bearer /, ""));
        if (!claims) return status(401, "Unauthorized");
        return { sub: claims.sub };
      });
    // What runHTTP drives: listen, address, close.
    let info;
    return {
      listen(_port, host, ready) {
        app.listen({ port: 0, hostname: host }, (i) => {
          info = i;
        });
        Promise.resolve(info.raw.ready?.()).then(() => ready());
      },
      address: () => info.raw.node.server.address(),
      close: (done) => Promise.resolve(info.stop()).then(() => done()),
    };
  },
  "elysia",
);
