"""Django REST framework with djangorestframework-simplejwt's
JWTStatelessUserAuthentication and JWK_URL, as simplejwt's docs show,
behind a real route (GET /me, IsAuthenticated) served on 127.0.0.1.

`drf_simplejwt.py default` keeps simplejwt's claim settings (USER_ID_CLAIM
user_id, JTI_CLAIM jti, TOKEN_TYPE_CLAIM token_type); `drf_simplejwt.py
claims` sets them for Better Auth's tokens (USER_ID_CLAIM sub, no jti, no
token_type), the fix measured for the first.

The outcome is the status DRF answers: 200 ok, 401 rejected, else crash
(a 500). simplejwt builds its TokenBackend when first used, from settings
read at import, so every case imports it afresh, as a backend process
does when it starts. The error is the one DRF's exception handler or
Django's got_request_exception saw (only looked at, never changed).
"""

import json
import logging
import sys
import threading
from importlib import import_module
from importlib.metadata import version
from urllib.error import HTTPError
from urllib.request import Request, urlopen
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings

from _cases import error_text

VARIANT = sys.argv[1] if len(sys.argv) > 1 else "default"

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="baverify-compat-test-only",
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    DATABASES={},
    LOGGING_CONFIG=None,
    REST_FRAMEWORK={"EXCEPTION_HANDLER": "drf_simplejwt.recording_exception_handler", "UNAUTHENTICATED_USER": None},
)
django.setup()
logging.disable(logging.CRITICAL)  # Django logs every 401 and 500; the result says it

from django.core.signals import got_request_exception  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView, exception_handler  # noqa: E402

recorded = []
urlpatterns = []


def recording_exception_handler(exc, context):
    recorded.append(exc)
    return exception_handler(exc, context)


got_request_exception.connect(lambda sender, **kw: recorded.append(sys.exc_info()[1]), weak=False)
sys.modules.setdefault("drf_simplejwt", sys.modules[__name__])


def fresh_simplejwt(case: dict):
    """simplejwt as a new process would import it with these settings."""
    conf = {"ALGORITHM": case["alg"], "JWK_URL": case["jwksUrl"], "ISSUER": case["issuer"], "AUDIENCE": case["audience"]}
    if VARIANT == "claims":
        conf.update(USER_ID_CLAIM="sub", JTI_CLAIM=None, TOKEN_TYPE_CLAIM=None)
    settings.SIMPLE_JWT = conf
    for name in [m for m in sys.modules if m.startswith("rest_framework_simplejwt")]:
        del sys.modules[name]
    return import_module("rest_framework_simplejwt.authentication")


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def measure(case: dict) -> dict:
    auth = fresh_simplejwt(case)

    class Me(APIView):
        authentication_classes = [auth.JWTStatelessUserAuthentication]
        permission_classes = [IsAuthenticated]

        def get(self, request):
            return Response({"sub": request.auth["sub"]})

    urlpatterns[:] = [path("me", Me.as_view())]
    recorded.clear()
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        req = Request(f"http://127.0.0.1:{server.server_port}/me", headers={"Authorization": "Bearer " + case["token"]})
        try:
            with urlopen(req, timeout=15) as res:
                status, body = res.status, res.read().decode()
        except HTTPError as e:
            status, body = e.code, e.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    result = {"outcome": "ok", "error": "", "status": status}
    if status != 200:
        result["outcome"] = "rejected" if status == 401 else "crash"
        result["error"] = error_text(recorded[0]) if recorded else f"HTTP {status}: {body[:200]}"
        detail = getattr(recorded[0], "detail", None) if recorded else None
        if isinstance(detail, dict):
            # DRF's exceptions print as a dict: keep what simplejwt says.
            messages = [str(m.get("message", "")) for m in detail.get("messages", [])]
            result["error"] = f"{type(recorded[0]).__name__}: {detail.get('detail', '')}"
            if messages:
                result["error"] += " (" + "; ".join(messages) + ")"
    elif '"sub"' not in body:
        result.update(outcome="crash", error=f"answered 200 without the claims: {body[:200]}")
    return result


lib_version = version("djangorestframework-simplejwt")
with_text = "djangorestframework " + version("djangorestframework")
for line in sys.stdin:
    if not line.strip():
        continue
    result = {"version": lib_version, "with": with_text}
    result.update(measure(json.loads(line)))
    print(json.dumps(result), flush=True)
