"""メルマガ・みやぎ: subscribe (double opt-in), confirm, preferences, unsubscribe (page and
RFC 8058 one-click), and SES bounce/complaint notifications through SNS."""

from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from hiroba_core import problems
from hiroba_core.services import newsletter
from hiroba_core.validation import parse_json
from hiroba_web import context, newsletter_pages, pages
from hiroba_web.http import (
    FORM,
    JSON,
    always,
    api,
    client_address,
    json_response,
    read_body,
    wants_html,
)

bp = Blueprint(__name__)
CHECK_MAIL = "/newsletter/check-mail/"
ONE_CLICK = "multipart/form-data"  # RFC 8058 allows either form encoding


def _store():
    return context.newsletter_store()


def _fields(request):
    """The body as a dict; form fields that repeat (topics) become lists."""
    raw = read_body(request, (JSON, FORM))
    if request.headers.get("content-type", "").startswith(FORM):
        pairs = parse_qsl((request.raw_body or b"").decode("utf-8"), keep_blank_values=True)
        raw["topics"] = [value for key, value in pairs if key in ("topics", "topic")]
    return raw


def _token(request, raw=None):
    return (raw or {}).get("token") or (request.query_params or {}).get("token") or ""


def _answer(request, browser_page, data, status=200):
    if wants_html(request):
        return browser_page()
    return json_response(data, status=status)


def _error_page(problem):
    return pages.error_page(
        problem, newsletter_pages.SUBSCRIBE_PAGE, field_id=newsletter_pages.field_id
    )


def _preferences_error_page(problem):
    back = "/api/publishing/newsletter/preferences?token=" + _token(bp.current_request)
    return pages.error_page(problem, back, field_id=newsletter_pages.field_id)


@bp.route("/newsletter/subscriptions", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=_error_page)
def subscribe():
    request = bp.current_request
    newsletter.subscribe(
        _store(),
        _fields(request),
        mailer=context.mailer(),
        client=client_address(request, context.settings()),
    )
    if wants_html(request):
        return Response(body="", status_code=303, headers={"Location": CHECK_MAIL})
    return json_response({"status": "confirmation-sent"}, status=202)


@bp.route("/newsletter/confirm", methods=["GET"])
@api(bp, page=_error_page, browser=always)
def confirm_page():
    token = _token(bp.current_request)
    newsletter.read_confirmation(context.settings(), token)
    return newsletter_pages.confirm_page(token)


@bp.route("/newsletter/confirm", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=_error_page)
def confirm():
    request = bp.current_request
    raw = read_body(request, (JSON, FORM))
    sid, confirmed = newsletter.confirm(_store(), _token(request, raw))
    if not confirmed:
        return _answer(request, newsletter_pages.suppressed_page, {"status": "suppressed"})
    manage = newsletter.links(context.settings(), sid)["manage"]
    return _answer(
        request, lambda: newsletter_pages.confirmed_page(manage), {"status": "confirmed"}
    )


@bp.route("/newsletter/preferences", methods=["GET"])
@api(bp, page=_error_page, browser=always)
def preferences_page():
    token = _token(bp.current_request)
    subscriber = newsletter.preferences(_store(), token)
    if subscriber is None:
        return newsletter_pages.not_subscribed_page()
    leave = newsletter.links(context.settings(), subscriber.id)["unsubscribe"]
    return newsletter_pages.preferences_page(token, subscriber, leave)


@bp.route("/newsletter/preferences", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=_preferences_error_page)
def save_preferences():
    request = bp.current_request
    raw = _fields(request)
    saved = newsletter.update_preferences(_store(), _token(request, raw), raw)
    if not saved:
        return _answer(request, newsletter_pages.not_subscribed_page, {"status": "not-subscribed"})
    return _answer(request, newsletter_pages.saved_page, {"status": "saved"})


@bp.route("/newsletter/unsubscribe", methods=["GET"])
@api(bp, page=_error_page, browser=always)
def unsubscribe_page():
    token = _token(bp.current_request)
    newsletter.check_unsubscribe(context.settings(), token)
    return newsletter_pages.unsubscribe_page(token)


@bp.route("/newsletter/unsubscribe", methods=["POST"], content_types=[FORM, ONE_CLICK])
@api(bp, page=_error_page)
def unsubscribe():
    """The page's button (token in the form) and RFC 8058 one-click (token in the URL,
    body `List-Unsubscribe=One-Click`). Idempotent: the answer is the same every time."""
    request = bp.current_request
    raw = {}
    if request.headers.get("content-type", "").startswith(FORM):
        raw = read_body(request, (FORM,))
    newsletter.unsubscribe(_store(), _token(request, raw))
    return _answer(request, newsletter_pages.unsubscribed_page, {"status": "unsubscribed"})


@bp.route("/newsletter/sns", methods=["POST"], content_types=["text/plain", JSON])
@api
def sns_notification():
    """Amazon SNS (SES events): signature verified before anything is read."""
    try:
        message = parse_json((bp.current_request.raw_body or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise problems.bad_json() from None
    outcome = newsletter.handle_sns(_store(), message)
    return json_response({"status": outcome})
