"""署名検証: anyone checks a signed PDF, or a file and its detached signature, against the
platform's trust anchors. JSON with the files in base64 (hiroba_core.signatures.intake),
or the public page's form (/procedures/verify/, multipart/form-data), which gets the
verdict as a page. The files are checked in memory and never stored or logged."""

from chalice import Blueprint

from hiroba_core.signatures import intake
from hiroba_web import context, signature_pages
from hiroba_web.http import (
    JSON,
    MULTIPART,
    SIGNED_BODY,
    api,
    json_response,
    media_type,
    read_body,
    read_uploads,
)

bp = Blueprint(__name__)


@bp.route("/signatures/verify", methods=["POST"], content_types=[JSON, MULTIPART])
@api(bp, page=signature_pages.error)
def verify():
    request = bp.current_request
    if media_type(request) == MULTIPART:
        files = read_uploads(request, ("pdf", "file", "signature"), limit=SIGNED_BODY)
        verdict = intake.check_uploaded(files, context.trust())
        return signature_pages.verdict_page(verdict)
    body = read_body(request, limit=SIGNED_BODY)
    fields = {k: v for k, v in body.items() if k in ("pdf", "file", "signature")}
    verdict = intake.check(fields, context.trust(), prefix="body")
    return json_response(verdict.as_dict())
