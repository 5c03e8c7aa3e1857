"""Staff (JWT with role and department, as for publishing): a procedure's applications with
the applicants' personal data, and version-checked status changes."""

from chalice import Blueprint

from hiroba_core.services import applications as service
from hiroba_web import auth, context
from hiroba_web.http import JSON, api, json_response, read_body

bp = Blueprint(__name__)


@bp.route("/staff/applications", methods=["GET"])
@api
def list_applications():
    who = auth.staff(bp.current_request)
    query = bp.current_request.query_params or {}
    procedure, found, cursor = service.list_applications(
        context.procedures_store(),
        context.catalogue(),
        query.get("procedure"),
        who,
        cursor=query.get("cursor"),
        limit=query.get("limit"),
    )
    return json_response(
        {
            "procedure": {**procedure.as_dict(), "department": procedure.department},
            "applications": [service.staff_view(a, with_applicant=True) for a in found],
            "next_cursor": cursor,
        }
    )


@bp.route("/staff/applications/{reference}/status", methods=["PUT"], content_types=[JSON])
@api
def change_status(reference):
    who = auth.staff(bp.current_request)
    application = service.change_status(
        context.procedures_store(),
        reference,
        who,
        read_body(bp.current_request),
        issuer=context.document_issuer(),
    )
    return json_response(service.staff_view(application))
