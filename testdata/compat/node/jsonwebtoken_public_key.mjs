// jsonwebtoken with a KeyObject from crypto.createPublicKey({ key: jwk,
// format: "jwk" }), the JWK picked from the JWKS by the token's kid.
import { createPublicKey } from "node:crypto";
import jwt from "jsonwebtoken";
import { fetchJWKS, run } from "./cases.mjs";

await run(
  "jsonwebtoken",
  async (c) => {
    const { keys } = await fetchJWKS(c.jwksUrl);
    const { kid } = jwt.decode(c.token, { complete: true }).header;
    const jwk = keys.find((k) => k.kid === kid);
    if (!jwk) throw new jwt.JsonWebTokenError("no key in the JWKS has the token's kid");
    const publicKey = createPublicKey({ key: jwk, format: "jwk" });
    return jwt.verify(c.token, publicKey, { algorithms: [c.alg], issuer: c.issuer, audience: c.audience });
  },
  (err) => err instanceof jwt.JsonWebTokenError,
);
