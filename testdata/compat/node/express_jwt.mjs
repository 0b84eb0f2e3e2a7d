// Express with express-jwt and jwks-rsa's expressJwtSecret, as express-jwt's
// README shows: the middleware on the route, errors to Express's own error
// handler (which answers the status an error carries, else 500).
import http from "node:http";
import express from "express";
import { expressjwt } from "express-jwt";
import jwksRsa from "jwks-rsa";
import { runHTTP } from "./cases.mjs";

await runHTTP(
  "express-jwt",
  (c, record) => {
    const app = express();
    app.get(
      "/me",
      expressjwt({
        secret: jwksRsa.expressJwtSecret({ jwksUri: c.jwksUrl, cache: true }),
        algorithms: [c.alg],
        issuer: c.issuer,
        audience: c.audience,
      }),
      (req, res) => res.json({ sub: req.auth.sub }),
    );
    // Only looks: the error goes on to Express's default handler.
    app.use((err, req, res, next) => {
      record(err);
      next(err);
    });
    return http.createServer(app);
  },
  "jwks-rsa",
);
