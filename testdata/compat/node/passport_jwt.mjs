// Express with Passport's passport-jwt strategy and jwks-rsa's
// passportJwtSecret, as passport-jwt's and jwks-rsa's READMEs show. Passport
// answers 401 when the strategy fails; the verifier's error is recorded by
// wrapping JwtStrategy.JwtVerifier (only looks: the result goes on unchanged).
import http from "node:http";
import express from "express";
import passport from "passport";
import { ExtractJwt, Strategy as JwtStrategy } from "passport-jwt";
import jwksRsa from "jwks-rsa";
import { runHTTP } from "./cases.mjs";

let record = () => {};
const verifier = JwtStrategy.JwtVerifier;
JwtStrategy.JwtVerifier = (token, key, options, cb) =>
  verifier(token, key, options, (err, payload) => {
    if (err) record(err);
    cb(err, payload);
  });

await runHTTP(
  "passport-jwt",
  (c, rec) => {
    record = rec;
    const pp = new passport.Passport();
    pp.use(
      new JwtStrategy(
        {
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKeyProvider: jwksRsa.passportJwtSecret({ jwksUri: c.jwksUrl, cache: true }),
          algorithms: [c.alg],
          issuer: c.issuer,
          audience: c.audience,
        },
        (payload, done) => done(null, payload),
      ),
    );
    const app = express();
    app.use(pp.initialize());
    app.get("/me", pp.authenticate("jwt", { session: false }), (req, res) => res.json({ sub: req.user.sub }));
    app.use((err, req, res, next) => {
      rec(err);
      next(err);
    });
    return http.createServer(app);
  },
  "jwks-rsa",
);
