"""Applications: the lists by procedure and status, search by 到達番号, one application with
its answers and history, status changes with a note, 補正依頼, and the two-person rule."""

from chalice import Blueprint

from hiroba_core.domain.application import LABELS, NEEDS_APPROVAL, ApplicationStatus, next_statuses
from hiroba_core.errors import NotFound
from hiroba_core.ids import format_reference, parse_reference
from hiroba_core.services import applications as service
from hiroba_core.services import attachments
from hiroba_web import console as web
from hiroba_web import context

bp = Blueprint(__name__)
PAGE_SIZE = 20


def _procedure_for(session, procedure_id):
    procedure = context.catalogue().get(procedure_id or "")
    if procedure is None:
        raise NotFound("procedure")
    return procedure


@bp.route("/staff/applications", methods=["GET"])
@web.guarded(bp, "view")
def list_applications(session):
    query = bp.current_request.query_params or {}
    reference = query.get("reference")
    if reference:  # search by 到達番号: straight to the application (its checks apply)
        parsed = parse_reference(reference)
        if parsed is None:
            return web.page(
                "applications.html",
                status=400,
                title="申請の一覧",
                session=session,
                procedures=web.procedures_of(session.staff),
                error="到達番号は英数字12文字（例: ACEF-GHJK-MNPR）で入力してください。",
                query=query,
            )
        return web.redirect(f"/staff/applications/{format_reference(parsed)}")
    procedure_id = query.get("procedure")
    if not procedure_id:
        return web.page(
            "applications.html",
            title="申請の一覧",
            session=session,
            procedures=web.procedures_of(session.staff),
            query=query,
        )
    status = query.get("status") or ""
    if status and status not in {s.value for s in ApplicationStatus}:
        status = ""
    procedure, found, cursor = service.list_applications(
        context.procedures_store(),
        context.catalogue(),
        procedure_id,
        session.staff,
        cursor=query.get("cursor"),
        limit=str(PAGE_SIZE),
    )
    if status:
        found = [a for a in found if a.status.value == status]
    return web.page(
        "applications.html",
        title=f"申請の一覧: {procedure.title}",
        session=session,
        procedures=web.procedures_of(session.staff),
        procedure=procedure,
        applications=found,
        cursor=cursor,
        status_filter=status,
        statuses=LABELS,
        query=query,
    )


def _show(session, reference, status=200, error=None, audit=True):
    application = service.application_for_staff(
        context.procedures_store(),
        reference,
        session.staff,
        audit=web.audit_hook(session.staff) if audit else None,
    )
    procedure = context.catalogue().get(application.procedure_id)
    from hiroba_core.access import may

    staff = session.staff
    owner, department = application.owner, application.department
    files = []
    if procedure and procedure.attachments and may(staff, "view_personal", owner, department):
        files = attachments.links_for_staff(
            context.attachments_store(), procedure, application.reference
        )
    return web.page(
        "application.html",
        status=status,
        title=f"申請 {format_reference(application.reference)}",
        session=session,
        application=application,
        reference=format_reference(application.reference),
        procedure=procedure,
        files=files,
        link_minutes=attachments.STAFF_LINK_SECONDS // 60,
        labels=LABELS,
        next_statuses=[
            s
            for s in next_statuses(application.status)
            if s not in NEEDS_APPROVAL and s != ApplicationStatus.RETURNED
        ],
        decisions=[s for s in next_statuses(application.status) if s in NEEDS_APPROVAL],
        may_change=may(staff, "change", owner, department),
        may_return=ApplicationStatus.RETURNED in next_statuses(application.status),
        may_approve=may(staff, "approve", owner, department)
        and bool(application.proposal)
        and application.proposal.get("by") != staff.subject,
        error=error,
    )


@bp.route("/staff/applications/{reference}", methods=["GET"])
@web.guarded(bp, "view_personal")
def show_application(session, reference):
    return _show(session, reference)


def _version(fields):
    text = fields.get("version") or ""
    return int(text) if text.isdigit() else None


def _act(session, reference, fields, action, **extra):
    raw = {"status": fields.get("status"), "version": _version(fields), "note": fields.get("note")}
    action(
        context.procedures_store(),
        reference,
        session.staff,
        raw,
        audit=web.audit_hook(session.staff),
        **extra,
    )
    return web.redirect(f"/staff/applications/{reference}")


@bp.route("/staff/applications/{reference}/status", methods=["POST"], content_types=[web.FORM])
@web.guarded(bp, "change")
def change_status(session, reference, fields):
    return _act(session, reference, fields, service.change_status)


@bp.route("/staff/applications/{reference}/proposal", methods=["POST"], content_types=[web.FORM])
@web.guarded(bp, "propose")
def propose(session, reference, fields):
    return _act(session, reference, fields, service.propose)


@bp.route("/staff/applications/{reference}/approval", methods=["POST"], content_types=[web.FORM])
@web.guarded(bp, "approve")
def approve(session, reference, fields):
    # 完了 issues the procedure's signed document (docs/signatures.md), as in the procedures app
    return _act(
        session,
        reference,
        {**fields, "status": "completed"},
        service.approve,
        issuer=context.document_issuer(),
    )


@bp.route("/staff/applications/{reference}/correction", methods=["POST"], content_types=[web.FORM])
@web.guarded(bp, "change")
def request_correction(session, reference, fields):
    raw = {"version": _version(fields), "note": fields.get("note")}
    service.request_correction(
        context.procedures_store(),
        reference,
        session.staff,
        raw,
        mailer=context.mailer(),
        audit=web.audit_hook(session.staff),
    )
    return web.redirect(f"/staff/applications/{reference}")
