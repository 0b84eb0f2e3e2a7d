// jose: createRemoteJWKSet + jwtVerify, as jose's docs show. Every error
// jose raises for a token is a JOSEError.
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { run } from "./cases.mjs";

await run(
  "jose",
  async (c) => {
    const JWKS = createRemoteJWKSet(new URL(c.jwksUrl));
    const { payload } = await jwtVerify(c.token, JWKS, {
      issuer: c.issuer,
      audience: c.audience,
      algorithms: [c.alg],
    });
    return payload;
  },
  (err) => err instanceof errors.JOSEError,
);
