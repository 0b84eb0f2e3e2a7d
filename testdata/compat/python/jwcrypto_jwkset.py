"""jwcrypto: the JWKS loaded with JWKSet.from_json and passed as the key of
jwt.JWT with algs and check_claims, as jwcrypto's docs show. JWException is
the base of jwcrypto's errors."""

import json
from urllib.request import urlopen

from jwcrypto import jwk, jwt
from jwcrypto.common import JWException

from _cases import run


def verify(case: dict) -> dict:
    with urlopen(case["jwksUrl"], timeout=10) as response:
        key_set = jwk.JWKSet.from_json(response.read())
    token = jwt.JWT(
        jwt=case["token"],
        key=key_set,
        algs=[case["alg"]],
        check_claims={"iss": case["issuer"], "aud": case["audience"], "exp": None},
    )
    return json.loads(token.claims)


run("jwcrypto", verify, (JWException,))
