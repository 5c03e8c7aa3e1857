"""Applicants: apply for a procedure (電子申請). JSON only; the answer shows the 到達番号 and,
once, the 問合せ番号."""

from chalice import Blueprint

from hiroba_core.services import applications
from hiroba_web import context
from hiroba_web.http import JSON, SIGNED_BODY, api, client_address, json_response, read_body

bp = Blueprint(__name__)


@bp.route("/applications", methods=["POST"], content_types=[JSON])
@api
def post_application():
    request = bp.current_request
    accepted, replayed = applications.submit(
        context.procedures_store(),
        context.catalogue(),
        read_body(request, limit=SIGNED_BODY),  # a signed PDF may come with it (base64)
        client=client_address(request, context.settings()),
        idempotency_key=request.headers.get("idempotency-key"),
        trust=context.trust(),
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return json_response(accepted.as_dict(), status=200 if replayed else 201, headers=headers)
