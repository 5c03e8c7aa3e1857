"""Requests in, responses out: body limits, content types, problem+json, no stack traces."""

import functools
import json
import logging
from urllib.parse import parse_qsl

from chalice import Response
from hiroba_core import problems
from hiroba_core.errors import DomainError

logger = logging.getLogger("hiroba")
MAX_BODY = 64 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_response(data, status=200, headers=None):
    return Response(
        body=json.dumps(data, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **NO_STORE, **(headers or {})},
    )


def problem_response(problem):
    return Response(
        body=json.dumps(problem.body(), ensure_ascii=False),
        status_code=problem.status,
        headers={
            "Content-Type": problems.MEDIA_TYPE + "; charset=utf-8",
            **NO_STORE,
            **problem.headers,
        },
    )


def media_type(request):
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def wants_html(request):
    """A browser posting the HTML form without script: answer with pages, not JSON."""
    accept = (request.headers.get("accept") or "").lower()
    return media_type(request) == FORM and "text/html" in accept


def read_body(request, accepted=(JSON,)):
    """The body as a dict: JSON object or form fields. Raises Problem for 400/413/415."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY:
        raise problems.too_large(MAX_BODY)
    kind = media_type(request)
    if kind not in accepted:
        raise problems.unsupported_media_type(kind or "(none)", accepted)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise problems.bad_json() from None
    if kind == FORM:
        return form_to_dict(parse_qsl(text, keep_blank_values=True))
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        raise problems.bad_json() from None
    if not isinstance(data, dict):
        raise problems.bad_json()
    return data


def form_to_dict(pairs):
    """Form fields `answer-<id>` become {"answers": {id: text}}; other fields stay flat."""
    data, answers = {}, {}
    for key, value in pairs:
        if key.startswith("answer-"):
            answers[key[7:]] = value
        else:
            data[key] = value
    data["answers"] = answers
    return data


def client_address(request, trusted_proxies):
    """The address the last trusted proxy saw (X-Forwarded-For), else the socket's."""
    forwarded = [
        a.strip() for a in (request.headers.get("x-forwarded-for") or "").split(",") if a.strip()
    ]
    if trusted_proxies and len(forwarded) >= trusted_proxies:
        return forwarded[-trusted_proxies]
    return request.context.get("identity", {}).get("sourceIp", "unknown")


def api(view):
    """Translate Problem and DomainError raised by a view; anything else becomes a bare 500."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except problems.Problem as problem:
            return problem_response(problem)
        except DomainError as error:
            return problem_response(problems.from_error(error))
        except Exception:
            # The exception type and the route only: request bodies may hold personal data.
            logger.exception("unhandled error in %s", view.__name__)
            return problem_response(problems.internal())

    return wrapper


# Chalice answers some requests itself (415 for content types a route does not accept,
# 405, unhandled errors); this middleware rewrites those answers as problem details.
_CHALICE_CODES = {
    "UnsupportedMediaType": "unsupported-media-type",
    "MethodNotAllowedError": "method-not-allowed",
    "NotFoundError": "not-found",
    "BadRequestError": "bad-json",
}


def problem_middleware(event, get_response):
    response = get_response(event)
    body = response.body
    if (
        response.status_code >= 400
        and isinstance(body, dict)
        and "Code" in body
        and "type" not in body
    ):
        slug = _CHALICE_CODES.get(body["Code"], "internal")
        if slug == "method-not-allowed":
            problem = problems.method_not_allowed(response.headers.get("Allow", ""))
        elif slug == "unsupported-media-type":
            problem = problems.Problem(
                slug,
                "この形式の送信は受け付けられません。Content-Type を確かめてください。",
                "Unsupported Content-Type for this endpoint.",
            )
        elif slug == "internal":
            problem = problems.internal()
        else:
            problem = problems.Problem(slug, "リクエストを処理できませんでした。", body["Code"])
        return problem_response(problem)
    return response
