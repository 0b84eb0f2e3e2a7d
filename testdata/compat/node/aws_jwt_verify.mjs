// aws-jwt-verify's generic JwtVerifier for any OIDC issuer. It fetches a
// JWKS over https only, so the JWKS is fetched here and handed over with
// verifier.cacheJwks, as its README shows for a JWKS loaded otherwise.
// Its documented errors extend JwtBaseError.
import { JwtVerifier } from "aws-jwt-verify";
import { JwtBaseError } from "aws-jwt-verify/error";
import { fetchJWKS, run } from "./cases.mjs";

await run(
  "aws-jwt-verify",
  async (c) => {
    const verifier = JwtVerifier.create({ issuer: c.issuer, audience: c.audience, jwksUri: c.jwksUrl });
    verifier.cacheJwks(await fetchJWKS(c.jwksUrl));
    return verifier.verify(c.token);
  },
  (err) => err instanceof JwtBaseError,
);
