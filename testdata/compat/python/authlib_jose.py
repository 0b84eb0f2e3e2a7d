"""Authlib: authlib.jose, a JsonWebToken limited to the expected algorithm,
the key set from JsonWebKey.import_key_set, then claims.validate(), as
Authlib's docs show. JoseError is the base of Authlib's JOSE errors."""

from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError

from _cases import fetch_jwks, run


def verify(case: dict) -> dict:
    key_set = JsonWebKey.import_key_set(fetch_jwks(case["jwksUrl"]))
    jwt = JsonWebToken([case["alg"]])
    claims = jwt.decode(
        case["token"],
        key_set,
        claims_options={
            "iss": {"essential": True, "value": case["issuer"]},
            "aud": {"essential": True, "value": case["audience"]},
            "exp": {"essential": True},
        },
    )
    claims.validate()
    return dict(claims)


run("Authlib", verify, (JoseError,))
