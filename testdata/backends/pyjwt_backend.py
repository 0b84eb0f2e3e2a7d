"""FastAPI backend that verifies Better Auth JWTs with PyJWT.

PyJWKClient fetches and caches the JWKS (refetching once for an unknown
kid) and picks the key by kid; with cryptography installed PyJWT handles
every algorithm Better Auth signs with, EdDSA included. Every PyJWTError
becomes a 401.

Environment: JWKS_URL, ISSUER, AUDIENCE, PORT, REDIRECT_TO (optional),
REQUIRE (optional, e.g. "exp,iss,aud,sub": claims PyJWT must find; by
default it accepts a token without exp),
TRUST_UNVERIFIED=1, which reproduces a common bug on purpose: the token is
decoded without verifying it (verify_signature False), as code written to
"just read the user id" does. baverify probe must catch it. And
GENERIC_ERRORS=1: every refusal is {"detail": "Invalid token"}, the
library's reason only in the log, as many backends hide it. And
JWKS_CACHE_LIFESPAN: seconds PyJWKClient keeps the JWKS (default 300),
for a test of a key taken out of the JWKS that need not wait 5 minutes.
"""

import os

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]
REDIRECT_TO = os.environ.get("REDIRECT_TO", "")
TRUST_UNVERIFIED = os.environ.get("TRUST_UNVERIFIED") == "1"
GENERIC_ERRORS = os.environ.get("GENERIC_ERRORS") == "1"
ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]
REQUIRE = [c for c in os.environ.get("REQUIRE", "").split(",") if c]

app = FastAPI()
security = HTTPBearer()
jwks_client = jwt.PyJWKClient(JWKS_URL, lifespan=int(os.environ.get("JWKS_CACHE_LIFESPAN") or 300))


# A plain def: PyJWKClient fetches with blocking urllib, so FastAPI runs
# this dependency in its thread pool.
def get_current_user(
    credentials: HTTPAuthorizationCredentials = Depends(security),
) -> dict:
    token = credentials.credentials
    try:
        if TRUST_UNVERIFIED:
            return jwt.decode(token, options={"verify_signature": False})
        signing_key = jwks_client.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": REQUIRE},
        )
    except jwt.PyJWTError as e:
        if GENERIC_ERRORS:
            print(f"refused: {type(e).__name__}: {e}", flush=True)
            raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid token")
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=str(e))


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.get("/api/me")
async def me(user: dict = Depends(get_current_user)):
    return {"sub": user.get("sub"), "email": user.get("email")}


@app.get("/api/redirect")
async def redirect(user: dict = Depends(get_current_user)):
    if not REDIRECT_TO:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="REDIRECT_TO is not set")
    return RedirectResponse(REDIRECT_TO, status_code=status.HTTP_307_TEMPORARY_REDIRECT)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
