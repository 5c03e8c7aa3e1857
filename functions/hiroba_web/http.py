"""Requests in, responses out: body limits, content types, problem+json, no stack traces."""

import functools
import hmac
import inspect
import ipaddress
import json
import logging
from email import policy as email_policy
from email.parser import BytesParser
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

from chalice import Response

from hiroba_core import problems
from hiroba_core.errors import DomainError
from hiroba_core.security_headers import SECURITY_HEADERS, widens_only_form_action
from hiroba_core.validation import parse_json

logger = logging.getLogger("hiroba")
MAX_BODY = 64 * 1024
# a body carrying a signed file in base64 (hiroba_core.signatures.intake: a 2 MB file and
# its signature), for the routes that take one
SIGNED_BODY = 3 * 1024 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"  # a form with files (enctype), no script needed
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
    return media_type(request) in (FORM, MULTIPART) and "text/html" in accept


def read_cookie(request, name):
    """The value of cookie `name` in the request, or None."""
    jar = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie") or "")
    except Exception:  # a malformed Cookie header is no cookie, never a 500
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def read_uploads(request, names, limit):
    """The files of a multipart/form-data form as {name: bytes} (b"" for a field left
    empty), only those in `names`; Problem for 413/415/400. Kept in memory: nothing is
    written anywhere."""
    raw = request.raw_body or b""
    if len(raw) > limit:
        raise problems.too_large(limit)
    content_type = request.headers.get("content-type") or ""
    if media_type(request) != MULTIPART or "boundary=" not in content_type:
        raise problems.unsupported_media_type(media_type(request) or "(none)", (MULTIPART,))
    message = BytesParser(policy=email_policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise problems.bad_form()
    files = dict.fromkeys(names, b"")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name in files and not files[name]:
            files[name] = part.get_payload(decode=True) or b""
    return files


def read_body(request, accepted=(JSON,), limit=MAX_BODY):
    """The body as a dict: JSON object or form fields. Raises Problem for 400/413/415."""
    raw = request.raw_body or b""
    if len(raw) > limit:
        raise problems.too_large(limit)
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
        data = parse_json(text) if text.strip() else None
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


ORIGIN_VERIFY = "x-hiroba-origin-verify"
VIEWER_ADDRESS = "cloudfront-viewer-address"


def viewer_address(request, settings):
    """The viewer's IP from CloudFront-Viewer-Address (`ip:port`, IPv6 too), or None.

    Trusted only when the origin-verify secret is configured: then every request the app
    answers has passed the origin-verify middleware, i.e. came through CloudFront (or the
    development server's proxy), which sets the header itself. Anyone calling API Gateway
    directly could otherwise pick their own address and dodge every rate limit."""
    if not settings.origin_verify:
        return None
    host, _, port = (request.headers.get(VIEWER_ADDRESS) or "").strip().rpartition(":")
    try:
        return str(ipaddress.ip_address(host.strip("[]"))) if port.isdigit() else None
    except ValueError:
        return None


def client_address(request, settings):
    """The viewer's address behind CloudFront, else the address the last trusted proxy saw
    (X-Forwarded-For), else the socket's."""
    viewer = viewer_address(request, settings)
    if viewer:
        return viewer
    trusted_proxies = settings.trusted_proxies
    forwarded = [
        a.strip() for a in (request.headers.get("x-forwarded-for") or "").split(",") if a.strip()
    ]
    if trusted_proxies and len(forwarded) >= trusted_proxies:
        return forwarded[-trusted_proxies]
    return request.context.get("identity", {}).get("sourceIp", "unknown")


def reads_html(request):
    """A browser (a link opened from a mail, a page's form): it asks for HTML."""
    return "text/html" in (request.headers.get("accept") or "").lower()


def always(request):
    """Pages only: links from mails, feature phones."""
    return True


def api(target=None, *, page=None, browser=wants_html):
    """The one decorator of every route: a Problem or DomainError the view raises becomes
    problem+json; anything else a bare 500 (the route and the exception's type are logged,
    never the request: it may hold personal data). Routes never catch them themselves.

        @bp.route(...)
        @api                                  # JSON only
        @api(bp, page=error_page)             # browsers that posted a form get a page
        @api(bp, page=error_page, browser=always)   # everyone gets the page

    `page(problem, *route args)` answers when `browser(bp.current_request)` holds; what
    the page itself raises is answered as problem+json."""
    if inspect.isfunction(target):
        return _answering(target)  # used bare, as @api
    return lambda view: _answering(view, target, page, browser)


def as_problem(error):
    return error if isinstance(error, problems.Problem) else problems.from_error(error)


def _answering(view, source=None, page=None, browser=wants_html):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            try:
                return view(*args, **kwargs)
            except (problems.Problem, DomainError) as error:
                if page is None or not browser(source.current_request):
                    raise
                return page(as_problem(error), *args, **kwargs)
        except (problems.Problem, DomainError) as error:
            return problem_response(as_problem(error))
        except Exception:
            # The exception type and the route only: request bodies may hold personal data.
            logger.exception("unhandled error in %s", view.__name__)
            return problem_response(problems.internal())

    return wrapper


def security_headers_middleware(event, get_response):
    """Every answer of the app, whatever produced it (a route, a problem, Chalice's own
    405/415/500), carries the one set of security headers (hiroba_core.security_headers)."""
    response = get_response(event)
    own = next(
        (v for k, v in (response.headers or {}).items() if k.lower() == "content-security-policy"),
        None,
    )
    response.headers = {**(response.headers or {}), **SECURITY_HEADERS}
    if own and widens_only_form_action(own):
        # the attachments page: its forms post to the bucket (security_headers.with_form_action)
        response.headers["Content-Security-Policy"] = own
    return response


def _origin_verify_middleware(settings_of):
    def middleware(event, get_response):
        expected = settings_of().origin_verify
        if expected:
            given = (event.headers.get(ORIGIN_VERIFY) or "").encode()
            # every configured value is compared, so the time taken tells nothing
            matched = False
            for value in expected:
                matched |= hmac.compare_digest(given, value.encode())
            if not matched:
                return problem_response(problems.not_through_cdn())
        return get_response(event)

    return middleware


STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _same_origin_middleware(settings_of):
    """A form on another site must not post, as the resident, to the apps (CSRF)."""

    def middleware(event, get_response):
        if event.method in STATE_CHANGING and not same_origin(event.headers, settings_of()):
            return problem_response(problems.cross_site())
        return get_response(event)

    return middleware


def same_origin(headers, settings):
    """Whether a browser says the request comes from the site's own pages.

    Browsers send Sec-Fetch-Site, which a page cannot forge: only `same-origin` (the site
    itself) and `none` (typed or bookmarked) pass. Browsers too old for it send Origin,
    which must be the site's. Requests with neither come from programs (SNS, RFC 8058
    one-click unsubscribes from mail providers, API clients), which carry no resident's
    cookies or credentials and cannot be made to post by a third-party page."""
    fetch_site = (headers.get("sec-fetch-site") or "").strip().lower()
    if fetch_site:
        return fetch_site in ("same-origin", "none")
    origin = (headers.get("origin") or "").strip()
    if not origin:
        return True
    site = urlsplit(settings.site_url)
    return origin.rstrip("/").lower() == f"{site.scheme}://{site.netloc}".lower()


def protect(app, settings_of):
    """The middlewares every app has, outermost first: security headers on every answer,
    the origin-verify check (CloudFront's secret header), the same-origin rule for
    state-changing requests, and problem details for Chalice's own errors."""
    app.register_middleware(security_headers_middleware, "http")
    app.register_middleware(_origin_verify_middleware(settings_of), "http")
    app.register_middleware(_same_origin_middleware(settings_of), "http")
    app.register_middleware(problem_middleware, "http")


# Chalice answers some requests itself (415 for content types a route does not accept,
# 405, unhandled errors); this middleware rewrites those answers as problem details.
_CHALICE_CODES = {
    "UnsupportedMediaType": "unsupported-media-type",
    "MethodNotAllowedError": "method-not-allowed",
    "NotFoundError": "not-found",
    "BadRequestError": "bad-json",
    # a binary response (see binary_html) to a request whose Accept names no binary type
    "BadRequest": "not-acceptable",
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
        elif slug == "not-acceptable":
            problem = problems.Problem(
                slug,
                "この URL は HTML のページで応答します。Accept に text/html を含めてください。",
                "This URL answers with an HTML page; send Accept: text/html.",
            )
        elif slug == "internal":
            problem = problems.internal()
        else:
            problem = problems.Problem(slug, "リクエストを処理できませんでした。", body["Code"])
        return problem_response(problem)
    return response


# ---------------------------------------------------------------- HTML as binary

# How a body that is not UTF-8 (the feature-phone pages in Shift_JIS) reaches the client.
#
# API Gateway (REST, Lambda proxy) carries a Lambda response body as a UTF-8 string: bytes in
# another encoding survive only base64-encoded, with "isBase64Encoded": true, and API Gateway
# decodes them only when the request's first Accept type is one of the API's binaryMediaTypes.
# Chalice writes app.api.binary_types into the API's binaryMediaTypes (chalice package /
# deploy), base64-encodes every response whose Content-Type is in that list (Response.to_dict)
# and insists that such a body is bytes; its local server (the tests') decodes the base64
# again, so both behave alike. Chalice also answers 400 ("BadRequest", rewritten above as 406
# not-acceptable) when a binary Content-Type meets an Accept header that names no binary type
# nor */*: a looser form of API Gateway's rule (Chalice reads every Accept type, API Gateway
# only the first). Adding the HTML types therefore makes every HTML
# answer of an app binary: browsers and handsets send Accept with text/html (or XHTML) first.
# `binary_html` registers the types and a middleware that encodes each str body of those types
# with the charset its Content-Type names, so routes may keep returning text. (*/* as the
# binary type would cover any Accept, but Chalice would then refuse every request without an
# Accept header and base64 every JSON answer; not worth it for two HTML routes.)
BINARY_HTML = ("text/html", "application/xhtml+xml")


def _charset(content_type):
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            value = value.strip('"').lower()
            # handsets read Shift_JIS as Microsoft's cp932 (Windows-31J), a superset
            return "cp932" if value in ("shift_jis", "sjis", "windows-31j") else value
    return "utf-8"


def html_bytes_middleware(event, get_response):
    response = get_response(event)
    content_type = next(
        (str(v) for k, v in (response.headers or {}).items() if k.lower() == "content-type"), ""
    )
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in BINARY_HTML and isinstance(response.body, str):
        response.body = response.body.encode(_charset(content_type))
    return response


def binary_html(app):
    """Serve the app's HTML (UTF-8 or Shift_JIS) as binary, the same locally and on AWS."""
    for media_type in BINARY_HTML:
        if media_type not in app.api.binary_types:
            app.api.binary_types.append(media_type)
    app.register_middleware(html_bytes_middleware, "http")
