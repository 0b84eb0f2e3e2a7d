// Hono's built-in hono/jwk middleware with jwks_uri, served by
// @hono/node-server. The error handler is Hono's default one (an
// HTTPException's own response, else 500), plus recording the error.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { jwk } from "hono/jwk";
import { createAdaptorServer } from "@hono/node-server";
import { runHTTP } from "./cases.mjs";

await runHTTP("hono", (c, record) => {
  const app = new Hono();
  app.use("/me", jwk({ jwks_uri: c.jwksUrl, alg: [c.alg], verification: { iss: c.issuer, aud: c.audience } }));
  app.get("/me", (ctx) => ctx.json({ sub: ctx.get("jwtPayload").sub }));
  app.onError((err, ctx) => {
    record(err);
    if (err instanceof HTTPException) return err.getResponse();
    return ctx.text("Internal Server Error", 500);
  });
  return createAdaptorServer({ fetch: app.fetch });
});
