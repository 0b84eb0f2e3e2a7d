"""The loop every Python verifier shares.

stdin: one case a line, {"alg", "jwksUrl", "token", "issuer", "audience"}.
stdout: one result a line, {"outcome", "error", "version", "with"}
(with is empty: these setups use no companion package):
  ok        the library returned the claims
  rejected  it raised its own documented verification error (a backend
            that follows the library's docs answers 401)
  crash     any other exception escaped (FastAPI answers 500)
"""

import json
import sys
from importlib.metadata import version
from urllib.request import urlopen


def fetch_jwks(url: str) -> dict:
    with urlopen(url, timeout=10) as response:
        return json.load(response)


def error_text(e: BaseException) -> str:
    """"Class: message", plus the exception it was raised from, if any."""
    text = f"{type(e).__name__}: {e}"
    if e.__cause__ is not None:
        text += f" (caused by {error_text(e.__cause__)})"
    return text


def run(distribution: str, verify, documented_errors: tuple) -> None:
    lib_version = version(distribution)
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        result = {"outcome": "ok", "error": "", "version": lib_version, "with": ""}
        try:
            claims = verify(case)
            if not claims.get("sub"):
                raise AssertionError(f"verified, but the claims have no sub: {claims!r}")
        except documented_errors as e:
            result.update(outcome="rejected", error=error_text(e))
        except Exception as e:  # noqa: BLE001 - measuring what escapes is the point
            result.update(outcome="crash", error=error_text(e))
        print(json.dumps(result), flush=True)
