"""PyJWT: PyJWKClient(url).get_signing_key_from_jwt, then jwt.decode, as
PyJWT's docs show. PyJWTError is the base of every error PyJWT raises."""

import jwt

from _cases import run


def verify(case: dict) -> dict:
    jwks_client = jwt.PyJWKClient(case["jwksUrl"])
    signing_key = jwks_client.get_signing_key_from_jwt(case["token"])
    return jwt.decode(
        case["token"],
        signing_key.key,
        algorithms=[case["alg"]],
        audience=case["audience"],
        issuer=case["issuer"],
        options={"require": ["exp", "iss", "aud"]},
    )


run("PyJWT", verify, (jwt.PyJWTError,))
