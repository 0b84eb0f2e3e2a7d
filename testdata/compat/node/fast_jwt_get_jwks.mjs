// fast-jwt with get-jwks: a key function that asks get-jwks for the
// token's kid and alg, as get-jwks's README shows for fast-jwt. Better
// Auth serves its JWKS at a path of its own, given as jwksPath. fast-jwt
// raises TokenError for every verification failure.
import { createVerifier, TokenError } from "fast-jwt";
import buildGetJwks from "get-jwks";
import { run } from "./cases.mjs";

await run(
  "fast-jwt",
  (c) => {
    const url = new URL(c.jwksUrl);
    const getJwks = buildGetJwks({ issuersWhitelist: [url.origin], jwksPath: url.pathname });
    const verify = createVerifier({
      key: async ({ header }) => getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: url.origin }),
      algorithms: [c.alg],
      allowedIss: c.issuer,
      allowedAud: c.audience,
      requiredClaims: ["exp", "iss", "aud"],
    });
    return verify(c.token);
  },
  (err) => err instanceof TokenError,
  "get-jwks",
);
