"""署名検証: anyone checks a signed PDF, or a file and its detached signature, against the
platform's trust anchors. JSON with the files in base64 (hiroba_core.signatures.intake);
the files are checked in memory and never stored or logged. The public HTML page is built
on this route."""

from chalice import Blueprint

from hiroba_core.signatures import intake
from hiroba_web import context
from hiroba_web.http import JSON, SIGNED_BODY, api, json_response, read_body

bp = Blueprint(__name__)


@bp.route("/signatures/verify", methods=["POST"], content_types=[JSON])
@api
def verify():
    body = read_body(bp.current_request, limit=SIGNED_BODY)
    fields = {k: v for k, v in body.items() if k in ("pdf", "file", "signature")}
    verdict = intake.check(fields, context.trust(), prefix="body")
    return json_response(verdict.as_dict())
