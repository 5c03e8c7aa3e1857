"""Payments (公金収納): pay an application's fee or a tax notice, by card (the provider's
hosted page) or Pay-easy; the providers' notifications; the resident's return, which only
makes us re-read the provider; the receipt. JSON for programs, pages for browsers that
post the forms without script."""

from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from hiroba_core import problems
from hiroba_core.services import payments
from hiroba_web import context, payment_pages
from hiroba_web.http import (
    FORM,
    JSON,
    NO_STORE,
    api,
    client_address,
    json_response,
    read_body,
    wants_html,
)

bp = Blueprint(__name__)
API = "/api/procedures"


def _store():
    return context.payments_store()


def _accepts_html(request):
    return "text/html" in (request.headers.get("accept") or "").lower()


def _see_other(location):
    return Response(body="", status_code=303, headers={"Location": location, **NO_STORE})


@bp.route("/tax-notices/lookup", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=payment_pages.error)
def lookup_notice():
    request = bp.current_request
    html = wants_html(request)
    raw = read_body(request, (FORM,) if html else (JSON, FORM))
    notice = payments.lookup_notice(
        _store(), raw, client=client_address(request, context.settings())
    )
    view = payments.notice_view(notice)
    return payment_pages.notice_page(view, raw) if html else json_response(view)


def _create_error(problem):
    """The error summary, with a way back to the form the resident came from."""
    sent = dict(parse_qsl((bp.current_request.raw_body or b"").decode("utf-8", "replace")))
    back = payment_pages.STATUS_FORM_PAGE if sent.get("kind") == "application" else None
    return payment_pages.error(problem, back or payment_pages.TAX_FORM_PAGE)


@bp.route("/payments", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=_create_error)
def create_payment():
    request = bp.current_request
    html = wants_html(request)
    raw = read_body(request, (FORM,) if html else (JSON, FORM))
    key = raw.get("idempotency_key") if html else request.headers.get("idempotency-key")
    payment, replayed = payments.create(
        _store(),
        context.catalogue(),
        raw,
        client=client_address(request, context.settings()),
        idempotency_key=key,
    )
    view = payments.public_view(payment)
    if html:
        # our own page first, with a link to the card page: the site's CSP (form-action
        # 'self') would block a form's redirect to the acquirer's origin, rightly
        return _see_other(f"{API}/payments/{payment.id}")
    headers = {"Location": f"{API}/payments/{payment.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(view, status=200 if replayed else 201, headers=headers)


@bp.route("/payments/{payment_id}", methods=["GET"])
@api
def get_payment(payment_id):
    view = payments.public_view(payments.get(_store(), payment_id))
    if _accepts_html(bp.current_request):
        return payment_pages.status_page(view)
    return json_response(view)


@bp.route("/payments/{payment_id}/return", methods=["GET"])
@api
def payment_return(payment_id):
    """Back from the provider's page: re-read the payment there, then show where it stands."""
    payment = payments.returned(_store(), payment_id, mailer=context.mailer())
    if payment.status == "success":
        return _see_other(f"{API}/payments/{payment.id}/receipt")
    return _see_other(f"{API}/payments/{payment.id}")


@bp.route("/payments/{payment_id}/receipt", methods=["GET"])
@api
def receipt(payment_id):
    payment = payments.get(_store(), payment_id)
    view = payments.public_view(payment)
    if payment.status != "success":
        if _accepts_html(bp.current_request):
            return payment_pages.status_page(view)
        raise problems.Problem("not-found", "領収はまだありません。", "No receipt: not paid.")
    if _accepts_html(bp.current_request):
        return payment_pages.receipt_page(view)
    return json_response(view)


@bp.route(
    "/payments/notifications/{provider}",
    methods=["POST"],
    content_types=[JSON, FORM, "text/plain"],
)
@api
def notification(provider):
    """A provider's signed notification: 200 once recorded (applied, unchanged or
    flagged for staff), so the provider stops retrying; 403 for a bad signature."""
    request = bp.current_request
    applied = payments.notify(
        _store(), provider, request.headers, request.raw_body or b"", mailer=context.mailer()
    )
    return json_response({"result": applied.result, "reason": applied.reason})
