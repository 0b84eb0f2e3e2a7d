"""FastAPI backend that verifies Better Auth JWTs with python-jose.

Written the way Better Auth + FastAPI guides and community code usually do
it: HTTPBearer, the JWKS fetched with httpx and cached in a module-level
dict, the key picked by the token's kid, and only JWTError mapped to 401.
python-jose cannot build EdDSA (OKP) or PS256 keys; it raises JWKError,
which is not a JWTError, so those tokens end in a plain 500.

Environment: JWKS_URL, ISSUER, AUDIENCE, PORT, REDIRECT_TO (optional) and
WIDEN_ERRORS=1, which turns every verification exception into a 401.
"""

import os

import httpx
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt

JWKS_URL = os.environ["JWKS_URL"]
ISSUER = os.environ["ISSUER"]
AUDIENCE = os.environ["AUDIENCE"]
REDIRECT_TO = os.environ.get("REDIRECT_TO", "")
AUTH_ERRORS = (Exception,) if os.environ.get("WIDEN_ERRORS") == "1" else (JWTError,)

app = FastAPI()
security = HTTPBearer()
_jwks_cache: dict = {}


async def get_jwks(refresh: bool = False) -> dict:
    global _jwks_cache
    if refresh or not _jwks_cache:
        async with httpx.AsyncClient() as client:
            response = await client.get(JWKS_URL)
            response.raise_for_status()
            _jwks_cache = response.json()
    return _jwks_cache


def _find_key(jwks: dict, kid: str):
    for key in jwks.get("keys", []):
        if key.get("kid") == kid:
            return key
    return None


async def get_signing_key(kid: str):
    key = _find_key(await get_jwks(), kid)
    if key is None:
        # Unknown kid: the keys may have rotated, so refetch once.
        key = _find_key(await get_jwks(refresh=True), kid)
    return key


async def get_current_user(
    credentials: HTTPAuthorizationCredentials = Depends(security),
) -> dict:
    token = credentials.credentials
    try:
        header = jwt.get_unverified_header(token)
        key = await get_signing_key(header.get("kid"))
        if key is None:
            raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Unknown signing key")
        return jwt.decode(
            token,
            key,
            algorithms=[header.get("alg")],
            issuer=ISSUER,
            audience=AUDIENCE,
        )
    except HTTPException:
        raise
    except AUTH_ERRORS as e:
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
