"""Applicants: the status of an application by 到達番号 and 問合せ番号 (申請状況の照会).

POST /inquiries answers JSON, or an HTML page to a browser posting the form without script;
POST /m/inquiries answers feature phones (ポケットみやぎ) in Shift_JIS. One service behind
both: every attempt counts against the client's limit, and a wrong reference number and a
wrong code get the same answer.
"""

from chalice import Blueprint, Response

from hiroba_core.services import applications, documents
from hiroba_web import context, keitai, procedure_pages
from hiroba_web.http import (
    FORM,
    JSON,
    NO_STORE,
    always,
    api,
    client_address,
    json_response,
    read_body,
    wants_html,
)

bp = Blueprint(__name__)


def _inquire(request, raw):
    application, procedure = applications.inquire(
        context.procedures_store(),
        context.catalogue(),
        raw,
        client=client_address(request, context.settings()),
    )
    return applications.inquiry_view(application, procedure, context.settings().document_days)


@bp.route("/inquiries", methods=["POST"], content_types=[JSON, FORM])
@api(bp, page=procedure_pages.error)
def post_inquiry():
    request = bp.current_request
    if not wants_html(request):
        return json_response(_inquire(request, read_body(request, (JSON, FORM))))
    raw = read_body(request, (FORM,))
    return procedure_pages.status_page(_inquire(request, raw), raw.get("inquiry_code"))


@bp.route("/m/inquiries", methods=["POST"], content_types=[FORM])
@api(bp, page=procedure_pages.mobile_error, browser=always)
def post_mobile_inquiry():
    request = bp.current_request
    view = _inquire(request, keitai.read_form(request))
    return procedure_pages.mobile_status_page(view)


@bp.route("/inquiries/document", methods=["POST"], content_types=[JSON, FORM])
@api
def post_document():
    """The signed document of a completed application, streamed from the private bucket
    after the same checks as the status inquiry (no link that could be passed on)."""
    request = bp.current_request
    pdf, name = documents.download(
        context.procedures_store(),
        context.documents_store(),
        context.catalogue(),
        read_body(request, (JSON, FORM)),
        client=client_address(request, context.settings()),
        days=context.settings().document_days,
    )
    return Response(
        body=pdf,
        status_code=200,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{name}"',
            **NO_STORE,
        },
    )
