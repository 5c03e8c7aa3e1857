"""Comments (意見募集): the list with what commenters gave, hide and restore, the
prefecture's response (県の考え方) per comment, and the CSV export. Consultations are the
prefecture's: staff of another 団体 find none."""

from datetime import UTC, datetime

from chalice import Blueprint, Response

from hiroba_core.dates import JST
from hiroba_core.services import staff as service
from hiroba_web import console as web
from hiroba_web import context
from hiroba_web.http import NO_STORE

bp = Blueprint(__name__)
LABELS = {"received": "受付", "hidden": "非表示", "answered": "回答済み"}


@bp.route("/staff/consultations", methods=["GET"])
@web.guarded(bp, "view")
def consultations(session):
    found = service.consultations_for(context.publishing_store(), session.staff)
    return web.page("consultations.html", title="意見募集", session=session, consultations=found)


@bp.route("/staff/consultations/{consultation_id}", methods=["GET"])
@web.guarded(bp, "view_personal")
def comments(session, consultation_id):
    store = context.publishing_store()
    consultation, found = service.list_comments(store, consultation_id, session.staff)
    web.record(session.staff, "view-personal", consultation_id)
    from hiroba_core.access import may
    from hiroba_core.domain.dantai import PREFECTURE_OF_MIYAGI

    return web.page(
        "comments.html",
        title=f"意見: {consultation.title}",
        session=session,
        consultation=consultation,
        comments=[service.comment_view(c) for c in found],
        labels=LABELS,
        may_moderate=may(session.staff, "moderate", PREFECTURE_OF_MIYAGI, consultation.department),
    )


def _version(fields):
    text = fields.get("version") or ""
    return int(text) if text.isdigit() else None


@bp.route(
    "/staff/consultations/{consultation_id}/comments/{comment_id}/visibility",
    methods=["POST"],
    content_types=[web.FORM],
)
@web.guarded(bp, "moderate")
def visibility(session, consultation_id, comment_id, fields):
    service.set_hidden(
        context.publishing_store(),
        consultation_id,
        comment_id,
        session.staff,
        fields.get("hidden") == "1",
        _version(fields),
        audit=web.audit_hook(session.staff),
    )
    return web.redirect(f"/staff/consultations/{consultation_id}#comment-{comment_id}")


@bp.route(
    "/staff/consultations/{consultation_id}/comments/{comment_id}/response",
    methods=["POST"],
    content_types=[web.FORM],
)
@web.guarded(bp, "moderate")
def response(session, consultation_id, comment_id, fields):
    service.record_response(
        context.publishing_store(),
        consultation_id,
        comment_id,
        session.staff,
        fields.get("response"),
        _version(fields),
        audit=web.audit_hook(session.staff),
    )
    return web.redirect(f"/staff/consultations/{consultation_id}#comment-{comment_id}")


@bp.route("/staff/consultations/{consultation_id}/export.csv", methods=["GET"])
@web.guarded(bp, "export")
def export(session, consultation_id):
    text = service.export_csv(context.publishing_store(), consultation_id, session.staff)
    web.record(session.staff, "export", consultation_id)
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{consultation_id}-comments.csv"',
            **NO_STORE,
        },
    )


# ---------------------------------------------------------------- 意見募集の結果


def _results(session, consultation_id):
    consultation, counts, rows = service.consultation_results(
        context.publishing_store(), consultation_id, session.staff
    )
    closed = consultation.state(datetime.now(UTC)) == "closed"
    return consultation, counts, rows, closed


@bp.route("/staff/consultations/{consultation_id}/results", methods=["GET"])
@web.guarded(bp, "export")
def results(session, consultation_id):
    """The counts and the answered comments as they will be published, and the file an
    editor commits: only once the consultation has closed."""
    consultation, counts, rows, closed = _results(session, consultation_id)
    return web.page(
        "results.html",
        title=f"意見募集の結果: {consultation.title}",
        session=session,
        consultation=consultation,
        counts=counts,
        rows=rows,
        closed=closed,
    )


@bp.route("/staff/consultations/{consultation_id}/results.md", methods=["GET"])
@web.guarded(bp, "export")
def results_file(session, consultation_id):
    consultation, counts, rows, closed = _results(session, consultation_id)
    if not closed:  # results of a consultation still taking comments would be incomplete
        return web.error_page(
            409,
            "募集中です",
            "意見の募集が終わってから、結果を書き出してください。",
            session,
        )
    web.record(session.staff, "export", consultation_id, "意見募集の結果")
    text = service.results_markdown(consultation, rows, counts, f"{datetime.now(JST):%Y-%m-%d}")
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/markdown; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{consultation.id}-kekka.md"',
            **NO_STORE,
        },
    )
