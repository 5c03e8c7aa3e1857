"""Residents: comment on a consultation, send a proposal, look up a receipt."""

from chalice import Blueprint, Response

from hiroba_core import problems
from hiroba_core.errors import DomainError
from hiroba_core.services import comments
from hiroba_web import context, pages
from hiroba_web.http import FORM, JSON, api, client_address, json_response, read_body, wants_html

bp = Blueprint(__name__)
API_BASE = "/api/publishing"
PROPOSALS = "chiji-eno-teian"  # the always-open consultation behind 知事への提案


def _submit(consultation_id):
    request = bp.current_request
    store = context.publishing_store()
    browser = wants_html(request)
    try:
        raw = read_body(request, (JSON, FORM))
        receipt, replayed = comments.submit(
            store,
            consultation_id,
            raw,
            client=client_address(request, context.settings()),
            idempotency_key=request.headers.get("idempotency-key"),
            mailer=context.mailer(),
        )
    except (problems.Problem, DomainError) as error:
        if not browser:
            raise
        problem = error if isinstance(error, problems.Problem) else problems.from_error(error)
        consultation = store.get_consultation(consultation_id) if problem.status != 503 else None
        return pages.error_page(problem, consultation.url if consultation else "/")
    location = f"{API_BASE}/receipts/{receipt.number}"
    if browser:
        return Response(body="", status_code=303, headers={"Location": location})
    headers = {"Location": location}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(receipt.as_dict(), status=200 if replayed else 201, headers=headers)


@bp.route("/consultations/{consultation_id}/comments", methods=["POST"], content_types=[JSON, FORM])
@api
def post_comment(consultation_id):
    return _submit(consultation_id)


@bp.route("/proposals", methods=["POST"], content_types=[JSON, FORM])
@api
def post_proposal():
    return _submit(PROPOSALS)


@bp.route("/receipts/{number}", methods=["GET"])
@api
def get_receipt(number):
    receipt, consultation = comments.find_receipt(context.publishing_store(), number)
    if "text/html" in (bp.current_request.headers.get("accept") or ""):
        return pages.receipt_page(receipt, consultation)
    data = receipt.as_dict()
    data["consultation_title"] = consultation.title if consultation else None
    return json_response(data)


def _reads_html(request):
    """A link opened from a mail: a browser, which asks for HTML."""
    return "text/html" in (request.headers.get("accept") or "")


def _copy_token(request, raw=None):
    return (raw or {}).get("token") or (request.query_params or {}).get("token") or ""


@bp.route("/comments/copy", methods=["GET"])
@api
def copy_page():
    """The link of the verification mail: shows a button and changes nothing."""
    request = bp.current_request
    token = _copy_token(request)
    store = context.publishing_store()
    try:
        _, consultation, _ = comments.read_copy_link(store, token)
    except DomainError as error:
        if not _reads_html(request):
            raise
        return pages.copy_error_page(problems.from_error(error))
    if _reads_html(request):
        return pages.copy_confirm_page(token, consultation)
    return json_response({"status": "unsent"})


@bp.route("/comments/copy", methods=["POST"], content_types=[JSON, FORM])
@api
def send_copy():
    """The page's button (same-origin, like every POST): the copy goes to the address the
    link has verified, once per receipt."""
    request = bp.current_request
    try:
        raw = read_body(request, (JSON, FORM))
        _, sent = comments.send_verified_copy(
            context.publishing_store(), context.mailer(), _copy_token(request, raw)
        )
    except (problems.Problem, DomainError) as error:
        if not wants_html(request):
            raise
        problem = error if isinstance(error, problems.Problem) else problems.from_error(error)
        return pages.copy_error_page(problem)
    if wants_html(request):
        return pages.copy_sent_page(sent)
    return json_response({"status": "sent" if sent else "already-sent"})
