"""Staff (JWT with role and department): list, export, hide, respond."""

from chalice import Blueprint, Response

from hiroba_core.services import staff as service
from hiroba_web import auth, context
from hiroba_web.http import JSON, NO_STORE, api, json_response, read_body

bp = Blueprint(__name__)


@bp.route("/staff/consultations/{consultation_id}/comments", methods=["GET"])
@api
def list_comments(consultation_id):
    who = auth.staff(bp.current_request)
    consultation, comments = service.list_comments(context.publishing_store(), consultation_id, who)
    return json_response(
        {
            "consultation": consultation.as_dict(),
            "comments": [service.comment_view(c) for c in comments],
        }
    )


@bp.route("/staff/consultations/{consultation_id}/comments/export.csv", methods=["GET"])
@api
def export_csv(consultation_id):
    who = auth.staff(bp.current_request)
    text = service.export_csv(context.publishing_store(), consultation_id, who)
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{consultation_id}-comments.csv"',
            **NO_STORE,
        },
    )


@bp.route(
    "/staff/consultations/{consultation_id}/comments/{comment_id}/visibility",
    methods=["PUT"],
    content_types=[JSON],
)
@api
def set_visibility(consultation_id, comment_id):
    who = auth.staff(bp.current_request)
    data = read_body(bp.current_request)
    comment = service.set_hidden(
        context.publishing_store(),
        consultation_id,
        comment_id,
        who,
        data.get("hidden") is True,
        data.get("version"),
    )
    return json_response(service.comment_view(comment))


@bp.route(
    "/staff/consultations/{consultation_id}/comments/{comment_id}/response",
    methods=["PUT"],
    content_types=[JSON],
)
@api
def record_response(consultation_id, comment_id):
    who = auth.staff(bp.current_request)
    data = read_body(bp.current_request)
    comment = service.record_response(
        context.publishing_store(),
        consultation_id,
        comment_id,
        who,
        data.get("response"),
        data.get("version"),
    )
    return json_response(service.comment_view(comment))
