// Koa with koa-jwt and jwks-rsa's koaJwtSecret, as koa-jwt's README shows.
// Koa answers the status an error carries (koa-jwt throws 401), else 500.
import http from "node:http";
import Koa from "koa";
import jwt from "koa-jwt";
import jwksRsa from "jwks-rsa";
import { runHTTP } from "./cases.mjs";

await runHTTP(
  "koa-jwt",
  (c, record) => {
    const app = new Koa();
    app.silent = true;
    // Only looks: the error goes on to Koa's own handling.
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        record(err);
        throw err;
      }
    });
    app.use(
      jwt({
        secret: jwksRsa.koaJwtSecret({ jwksUri: c.jwksUrl, cache: true }),
        algorithms: [c.alg],
        issuer: c.issuer,
        audience: c.audience,
      }),
    );
    app.use((ctx) => {
      if (ctx.path === "/me") ctx.body = { sub: ctx.state.user.sub };
    });
    return http.createServer(app.callback());
  },
  "jwks-rsa",
);
