// fast-jwt with a PEM exported from crypto.createPublicKey({ key: jwk,
// format: "jwk" }), the JWK picked from the JWKS by the token's kid.
import { createPublicKey } from "node:crypto";
import { createDecoder, createVerifier, TokenError } from "fast-jwt";
import { fetchJWKS, run } from "./cases.mjs";

const decodeComplete = createDecoder({ complete: true });

await run(
  "fast-jwt",
  async (c) => {
    const { keys } = await fetchJWKS(c.jwksUrl);
    const { kid } = decodeComplete(c.token).header;
    const jwk = keys.find((k) => k.kid === kid);
    if (!jwk) throw new TokenError(TokenError.codes.missingKey, "no key in the JWKS has the token's kid");
    const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
    const verify = createVerifier({
      key: pem,
      algorithms: [c.alg],
      allowedIss: c.issuer,
      allowedAud: c.audience,
      requiredClaims: ["exp", "iss", "aud"],
    });
    return verify(c.token);
  },
  (err) => err instanceof TokenError,
);
