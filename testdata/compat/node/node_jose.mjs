// node-jose: JWK.asKeyStore of the JWKS, JWS.createVerify(keystore).verify,
// then the claims checked by hand (node-jose checks none), as its README
// shows. node-jose documents no error class: every rejection of its
// promises is how it refuses a token, so any error it raises is "rejected".
import jose from "node-jose";
import { fetchJWKS, run } from "./cases.mjs";

class ClaimError extends Error {}

await run(
  "node-jose",
  async (c) => {
    const keystore = await jose.JWK.asKeyStore(await fetchJWKS(c.jwksUrl));
    const result = await jose.JWS.createVerify(keystore, { algorithms: [c.alg] }).verify(c.token);
    const claims = JSON.parse(result.payload.toString());
    const aud = [].concat(claims.aud);
    if (claims.iss !== c.issuer) throw new ClaimError(`iss ${claims.iss}`);
    if (!aud.includes(c.audience)) throw new ClaimError(`aud ${claims.aud}`);
    if (!(claims.exp * 1000 > Date.now())) throw new ClaimError("expired");
    return claims;
  },
  (err) => err instanceof Error,
);
