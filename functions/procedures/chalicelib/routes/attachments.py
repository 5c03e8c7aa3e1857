"""Attachments (添付書類) of the resident's draft: the upload page (one form per document,
posting straight to the private bucket), the route S3 sends the browser back to (the file is
checked there), and delete. Pages for browsers, JSON and problem+json for programs; the
logic is hiroba_core.services.attachments."""

from chalice import Blueprint, Response

from hiroba_core.errors import NotFound
from hiroba_core.services import apply, attachments
from hiroba_web import apply_pages, attachment_pages, context
from hiroba_web.http import FORM, JSON, NO_STORE, api, json_response, read_body, reads_html

bp = Blueprint(__name__)


def current_draft(request, procedure_id):
    """The draft the attachments belong to: the online form's (its cookie and its table
    item; gone, timed out, not yet verified, or of another procedure or 団体 is 404 or the
    form's own "gone" answer). A procedure that asks for no documents has no page."""
    procedure, draft = apply.open_draft(
        context.procedures_store(),
        context.catalogue(),
        procedure_id,
        apply_pages.draft_id(request, context.settings()),
        now=context.now(),
    )
    if not procedure.attachments:
        raise NotFound("procedure")
    return attachments.Draft(procedure.dantai, draft.id, procedure, draft.kind)


def _store():
    return context.attachments_store()


def _see_other(location):
    return Response(body="", status_code=303, headers={"Location": location, **NO_STORE})


def _documents(draft, files):
    landing = attachment_pages.landing_url(context.settings().site_url, draft.procedure.id)
    return attachments.forms(_store(), draft, landing, files)


@bp.route("/attachments/{procedure_id}", methods=["GET"])
@api(bp, page=attachment_pages.error, browser=reads_html)
def upload_page(procedure_id):
    request = bp.current_request
    draft = current_draft(request, procedure_id)
    files = attachments.listing(_store(), draft)
    documents = _documents(draft, files)
    missing = attachments.missing(_store(), draft, files)
    if not reads_html(request):
        return json_response({"files": files, "documents": documents, "missing": missing})
    query = request.query_params or {}
    added = next((f["name"] for f in files if f["id"] == query.get("added")), None)
    notice = {"added": added} if added else {"deleted": query.get("deleted") == "1"}
    refused = (query.get("refused"), query.get("kind")) if query.get("refused") else None
    return attachment_pages.upload_page(
        draft.procedure,
        files,
        documents,
        missing,
        notice=notice,
        refused=refused,
        back_url=f"{apply.base(procedure_id)}/check",
    )


@bp.route("/attachments/{procedure_id}/uploaded", methods=["GET"])
@api(bp, page=attachment_pages.error, browser=reads_html)
def uploaded(procedure_id):
    """S3's success_action_redirect (?bucket=&key=&etag=): check the file. A browser goes
    back to the page (the file added, or why it was refused); a program gets the file or
    problem+json (422, the reason in Japanese and English)."""
    request = bp.current_request
    draft = current_draft(request, procedure_id)
    query = request.query_params or {}
    if query.get("bucket") != _store().bucket:
        raise NotFound("attachment")
    page = attachment_pages.page_url(procedure_id)
    try:
        kept = attachments.check(_store(), draft, query.get("key"))
    except attachments.AttachmentRefused as refused:
        if not reads_html(request):
            raise
        return _see_other(f"{page}?refused={refused.reason}&kind={refused.kind}")
    if reads_html(request):
        return _see_other(f"{page}?added={kept['id']}")
    return json_response(kept, status=201)


@bp.route("/attachments/{procedure_id}/delete", methods=["POST"], content_types=[FORM, JSON])
@api(bp, page=attachment_pages.error, browser=reads_html)
def delete(procedure_id):
    request = bp.current_request
    draft = current_draft(request, procedure_id)
    file_id = read_body(request, (FORM, JSON)).get("file")
    attachments.delete(_store(), draft, file_id)
    if reads_html(request):
        return _see_other(f"{attachment_pages.page_url(procedure_id)}?deleted=1")
    return json_response({"deleted": file_id})
