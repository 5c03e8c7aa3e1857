"""Residents: comment on a consultation, send a proposal, look up a receipt."""

from chalice import Blueprint, Response

from hiroba_core.services import comments
from hiroba_web import context, pages
from hiroba_web.http import (
    FORM,
    JSON,
    api,
    client_address,
    json_response,
    read_body,
    reads_html,
    wants_html,
)

bp = Blueprint(__name__)
API_BASE = "/api/publishing"
PROPOSALS = "chiji-eno-teian"  # the always-open consultation behind 知事への提案


def _submit(consultation_id):
    request = bp.current_request
    receipt, replayed = comments.submit(
        context.publishing_store(),
        consultation_id,
        read_body(request, (JSON, FORM)),
        client=client_address(request, context.settings()),
        idempotency_key=request.headers.get("idempotency-key"),
        mailer=context.mailer(),
    )
    location = f"{API_BASE}/receipts/{receipt.number}"
    if wants_html(request):
        return Response(body="", status_code=303, headers={"Location": location})
    headers = {"Location": location}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(receipt.as_dict(), status=200 if replayed else 201, headers=headers)


def _submit_error(problem, consultation_id=PROPOSALS):
    """The form's page again: back to the consultation (not read when the store is down)."""
    store = context.publishing_store()
    consultation = store.get_consultation(consultation_id) if problem.status != 503 else None
    return pages.error_page(problem, consultation.url if consultation else "/")


@bp.route("/consultations/{consultation_id}/comments", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=_submit_error)
def post_comment(consultation_id):
    return _submit(consultation_id)


@bp.route("/proposals", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=_submit_error)
def post_proposal():
    return _submit(PROPOSALS)


@bp.route("/receipts/{number}", methods=["GET"])
@api
def get_receipt(number):
    receipt, consultation = comments.find_receipt(context.publishing_store(), number)
    if reads_html(bp.current_request):
        return pages.receipt_page(receipt, consultation)
    data = receipt.as_dict()
    data["consultation_title"] = consultation.title if consultation else None
    return json_response(data)


def _copy_token(request, raw=None):
    return (raw or {}).get("token") or (request.query_params or {}).get("token") or ""


@bp.route("/comments/copy", methods=["GET"])
@api(bp, page=pages.copy_error_page, browser=reads_html)
def copy_page():
    """The link of the verification mail: shows a button and changes nothing."""
    request = bp.current_request
    token = _copy_token(request)
    _, consultation, _ = comments.read_copy_link(context.publishing_store(), token)
    if reads_html(request):
        return pages.copy_confirm_page(token, consultation)
    return json_response({"status": "unsent"})


@bp.route("/comments/copy", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=pages.copy_error_page)
def send_copy():
    """The page's button (same-origin, like every POST): the copy goes to the address the
    link has verified, once per receipt."""
    request = bp.current_request
    raw = read_body(request, (JSON, FORM))
    _, sent = comments.send_verified_copy(
        context.publishing_store(), context.mailer(), _copy_token(request, raw)
    )
    if wants_html(request):
        return pages.copy_sent_page(sent)
    return json_response({"status": "sent" if sent else "already-sent"})
