"""python-jose: jwt.decode with the JWK dict picked from the JWKS by kid,
as the FastAPI integration guides write it. The guides catch JWTError."""

from jose import JWTError, jwt

from _cases import fetch_jwks, run


def verify(case: dict) -> dict:
    jwks = fetch_jwks(case["jwksUrl"])
    header = jwt.get_unverified_header(case["token"])
    key = next((k for k in jwks["keys"] if k.get("kid") == header.get("kid")), None)
    if key is None:
        raise JWTError("no key in the JWKS has the token's kid")
    return jwt.decode(
        case["token"],
        key,
        algorithms=[case["alg"]],
        issuer=case["issuer"],
        audience=case["audience"],
    )


run("python-jose", verify, (JWTError,))
