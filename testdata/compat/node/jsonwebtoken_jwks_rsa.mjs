// jsonwebtoken with jwks-rsa: a getKey callback that asks the jwks-rsa
// client for the token's kid, as the two READMEs show. jsonwebtoken
// documents JsonWebTokenError (TokenExpiredError and NotBeforeError extend
// it) as the errors of verify.
import jwt from "jsonwebtoken";
import jwksClient from "jwks-rsa";
import { run } from "./cases.mjs";

await run(
  "jsonwebtoken",
  (c) => {
    const client = jwksClient({ jwksUri: c.jwksUrl });
    function getKey(header, callback) {
      client.getSigningKey(header.kid, (err, key) => {
        if (err) return callback(err);
        callback(null, key.getPublicKey());
      });
    }
    return new Promise((resolve, reject) => {
      jwt.verify(
        c.token,
        getKey,
        { algorithms: [c.alg], issuer: c.issuer, audience: c.audience },
        (err, decoded) => (err ? reject(err) : resolve(decoded)),
      );
    });
  },
  (err) => err instanceof jwt.JsonWebTokenError,
  "jwks-rsa",
);
