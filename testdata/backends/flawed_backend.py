"""FastAPI backend with one JWT verification flaw per route, for baverify probe.

Every route verifies Better Auth JWTs the correct way (PyJWT, PyJWKClient,
algorithms pinned, iss and aud checked, as in pyjwt_backend.py), except for
one flaw each, taken from real-world bugs. baverify probe must find each
flaw and raise no other alarm:

  /none/api/me      alg "none" in any letter case is taken as "no signature needed"
  /hmac/api/me      HS* tokens are checked with the JWKS public key as the HMAC
                    secret, encoded as HMAC_SECRET says: pem, pem_stripped
                    (no final newline), jwk (the JWK JSON) or raw (raw key bytes)
  /kid-file/api/me  a kid not in the JWKS names a file of HS256 secrets
  /kid-sql/api/me   a kid not in the JWKS is looked up in SQL, by string pasting
  /jku/api/me       a jku header is followed to fetch the key set
  /x5u/api/me       an x5u header is followed to fetch the certificate
  /iss/api/me       keys are discovered from the token's own iss
  /skip-exp/api/me  exp is not checked
  /skip-aud/api/me  aud is not checked
  /x5c/api/me       the leaf certificate in an x5c header is trusted, no chain check
  /hs-secret/api/me a leftover HS256 configuration: a token the JWKS refuses is
                    tried with HS256 and the default secret "secret"
  /hs-empty/api/me  the same with the secret of an unset variable: ""
  /fallback/api/me  on any verification error, the token is decoded without
                    verifying ("the JWKS may be down")
  /unknown-kid/api/me  only for a kid the JWKS does not have, the token is
                    decoded without verifying ("a key we do not know yet")
  /kid-url/api/me   a kid that is a URL is fetched as a JWKS and trusted
  /exp-leeway/api/me  exp is checked with a leeway of 24 hours
  /skip-nbf/api/me  nbf is not checked
  /skip-iss/api/me  iss is not checked
  /jku-late/api/me  the token is verified correctly and refused, but its jku is
                    fetched 1.5 s later (a background key prefetch)
  /key-forever/api/me  PyJWKClient(cache_keys=True): a key, once found by its
                    kid, is kept for ever (an lru_cache without expiry), so a
                    key taken out of the JWKS is still trusted

Every other error is a 401, so that each route has its one flaw only (the
PyJWT backend lets a TypeError through as a 500).

Environment: JWKS_URL, ISSUER, AUDIENCE, PORT, HMAC_SECRET (default pem),
JWKS_CACHE_LIFESPAN (seconds PyJWKClient keeps the JWKS, default 300).
"""

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import threading
import urllib.request
from datetime import timedelta

import jwt
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]
HMAC_SECRET = os.environ.get("HMAC_SECRET") or "pem"
ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]
HERE = os.path.dirname(os.path.abspath(__file__))

app = FastAPI()
security = HTTPBearer()
JWKS_CACHE_LIFESPAN = int(os.environ.get("JWKS_CACHE_LIFESPAN") or 300)
jwks_client = jwt.PyJWKClient(JWKS_URL, lifespan=JWKS_CACHE_LIFESPAN)
# The same JWKS cache, plus PyJWT's cache of keys by kid, which never expires.
forever_client = jwt.PyJWKClient(JWKS_URL, cache_keys=True, lifespan=JWKS_CACHE_LIFESPAN)


def correct(token, leeway=0, **options):
    key = jwks_client.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=ALGORITHMS, issuer=ISSUER, audience=AUDIENCE, options=options, leeway=leeway)


def claims_unverified(token):
    return jwt.decode(token, options={"verify_signature": False})


def b64url(data):
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def jwks_keys():
    with urllib.request.urlopen(JWKS_URL) as resp:
        return json.loads(resp.read())["keys"]


def secret_for(jwk):
    key = jwt.PyJWK(jwk).key
    if HMAC_SECRET == "jwk":
        return json.dumps(jwk, separators=(",", ":")).encode()
    if HMAC_SECRET == "raw":
        if isinstance(key, ed25519.Ed25519PublicKey):
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if isinstance(key, ec.EllipticCurvePublicKey):
            return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.rstrip(b"\n") if HMAC_SECRET == "pem_stripped" else pem


def check_hs(token, secret, alg):
    # PyJWT refuses a PEM as an HMAC secret, so the flawed code does it by hand.
    signing_input, _, sig = token.rpartition(".")
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    if not hmac.compare_digest(hmac.new(secret, signing_input.encode(), digest).digest(), b64url(sig)):
        raise jwt.InvalidSignatureError("Signature verification failed")
    return jwt.decode(token, options={"verify_signature": False, "verify_exp": True, "verify_aud": True, "verify_iss": True},
                      issuer=ISSUER, audience=AUDIENCE)


def legacy_hs256(token, secret):
    return jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE)


def known_kid(kid):
    return any(k.get("kid") == kid for k in jwks_keys())


def fetch_later(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            resp.read()
    except Exception:
        pass


def flawed(flaw, token):
    header = jwt.get_unverified_header(token)
    alg = str(header.get("alg", ""))
    kid = header.get("kid")
    if flaw == "none":
        if alg.lower() == "none":
            return claims_unverified(token)
        return correct(token)
    if flaw == "hmac":
        if alg in ("HS256", "HS384", "HS512"):
            jwk = next((k for k in jwks_keys() if k.get("kid") == kid), None)
            if jwk is None:
                raise jwt.InvalidKeyError("unknown kid")
            return check_hs(token, secret_for(jwk), alg)
        return correct(token)
    if flaw == "kid-file":
        if alg == "HS256" and kid and not known_kid(kid):
            with open(os.path.join(HERE, kid), "rb") as f:
                return legacy_hs256(token, f.read())
        return correct(token)
    if flaw == "kid-sql":
        if alg == "HS256" and kid and not known_kid(kid):
            db = sqlite3.connect(":memory:")
            db.execute("CREATE TABLE keys (kid TEXT, secret TEXT)")
            db.execute("INSERT INTO keys VALUES ('legacy', 'a-legacy-secret-nobody-knows')")
            row = db.execute("SELECT secret FROM keys WHERE kid = '" + kid + "'").fetchone()
            if row is None:
                raise jwt.InvalidKeyError("unknown kid")
            return legacy_hs256(token, row[0].encode())
        return correct(token)
    if flaw == "jku":
        if "jku" in header:
            key = jwt.PyJWKClient(header["jku"]).get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=ALGORITHMS, issuer=ISSUER, audience=AUDIENCE)
        return correct(token)
    if flaw == "x5u":
        if "x5u" in header:
            with urllib.request.urlopen(header["x5u"]) as resp:
                key = x509.load_pem_x509_certificate(resp.read()).public_key()
            return jwt.decode(token, key, algorithms=ALGORITHMS, issuer=ISSUER, audience=AUDIENCE)
        return correct(token)
    if flaw == "iss":
        iss = str(claims_unverified(token).get("iss", ""))
        key = jwt.PyJWKClient(iss.rstrip("/") + "/api/auth/jwks").get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=ALGORITHMS, issuer=iss, audience=AUDIENCE)
    if flaw == "skip-exp":
        return correct(token, verify_exp=False)
    if flaw == "skip-aud":
        return correct(token, verify_aud=False)
    if flaw == "x5c":
        if "x5c" in header:
            cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
            return jwt.decode(token, cert.public_key(), algorithms=ALGORITHMS, issuer=ISSUER, audience=AUDIENCE)
        return correct(token)
    if flaw in ("hs-secret", "hs-empty"):
        try:
            return correct(token)
        except jwt.PyJWTError:
            secret = os.environ.get("LEGACY_JWT_SECRET", "secret" if flaw == "hs-secret" else "")
            return jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER, audience=AUDIENCE)
    if flaw == "fallback":
        try:
            return correct(token)
        except jwt.PyJWTError:
            return claims_unverified(token)
    if flaw == "unknown-kid":
        if not known_kid(kid):
            return claims_unverified(token)
        return correct(token)
    if flaw == "kid-url":
        if isinstance(kid, str) and kid.startswith(("http://", "https://")):
            key = jwt.PyJWKClient(kid).get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=ALGORITHMS, issuer=ISSUER, audience=AUDIENCE)
        return correct(token)
    if flaw == "exp-leeway":
        return correct(token, leeway=timedelta(hours=24))
    if flaw == "skip-nbf":
        return correct(token, verify_nbf=False)
    if flaw == "skip-iss":
        return correct(token, verify_iss=False)
    if flaw == "key-forever":
        key = forever_client.get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=ALGORITHMS, issuer=ISSUER, audience=AUDIENCE)
    if flaw == "jku-late":
        if isinstance(header.get("jku"), str):
            threading.Timer(1.5, fetch_later, args=(header["jku"],)).start()
        return correct(token)
    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="no such flaw")


def current_user(request: Request, credentials: HTTPAuthorizationCredentials = Depends(security)) -> dict:
    try:
        return flawed(request.path_params["flaw"], credentials.credentials)
    except HTTPException:
        raise
    except Exception as e:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=str(e))


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.get("/{flaw}/api/me")
def me(user: dict = Depends(current_user)):
    return {"sub": user.get("sub"), "email": user.get("email")}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
