"""HTTP endpoints for operators: the Prometheus metrics of the job system.

Two kinds of client read them: a person logged into the admin (staff with the
``django_jobs.view_job`` permission, so the same people who may read the job list)
and a Prometheus server, which cannot log in and sends ``JOBS["METRICS_TOKEN"]`` as a
bearer token instead.
"""

import hmac

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from django_jobs.conf import get_settings

VIEW_PERMISSION = "django_jobs.view_job"
MISSING_LIBRARY = (
    "The metrics endpoint needs prometheus_client: pip install 'django-jobs[prometheus]'\n"
)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition of queues, finished jobs and workers.

    Credentials are checked before anything else, so an anonymous client learns
    nothing, not even whether prometheus_client is installed.
    """
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    try:
        from django_jobs.metrics import render
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "prometheus_client":
            raise
        return _text(MISSING_LIBRARY, status=501)
    body, content_type = render()
    return HttpResponse(body, content_type=content_type)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the request may read metrics, else the 401 or 403 to answer with."""
    token = _bearer_token(request)
    if token is not None and _token_matches(token):
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.is_staff and user.has_perm(VIEW_PERMISSION):
            return None
        return _text("Forbidden: staff with the view_job permission only.\n", status=403)
    if token is not None:
        return _text("Forbidden: wrong token.\n", status=403)
    response = _text("Log in as staff or send 'Authorization: Bearer <token>'.\n", status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def _bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None if absent or malformed."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _token_matches(token: str) -> bool:
    expected = get_settings().METRICS_TOKEN
    # Bytes, because compare_digest refuses str with non-ASCII characters.
    return expected is not None and hmac.compare_digest(
        token.encode("utf-8"), expected.encode("utf-8")
    )


def _text(message: str, *, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
