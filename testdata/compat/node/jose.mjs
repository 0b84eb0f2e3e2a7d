// jose: createRemoteJWKSet + jwtVerify, as jose's docs show. Every error
// jose raises for a token is a JOSEError. `node jose.mjs jose4` (or jose5)
// measures jose 4 or 5, installed under those npm aliases.
const pkg = process.argv[2] || "jose";
const { createRemoteJWKSet, errors, jwtVerify } = await import(pkg);
const { run } = await import("./cases.mjs");

await run(
  pkg,
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
