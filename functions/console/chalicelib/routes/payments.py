"""Payments (公金収納): a payment's page (from an application's page or by payment id), the
refund form (amount and reason; the form's Idempotency-Key makes a double submit refund
once) and the day's reconciliation (収納消込) as a table and CSV. The money is the 団体's
and the department's that collects it: hiroba_core.services.payments checks both."""

import secrets
from datetime import datetime
from urllib.parse import quote

from chalice import Blueprint, Response

from hiroba_core.access import may
from hiroba_core.dates import JST
from hiroba_core.errors import FieldError, RefundTooLarge, ValidationFailed
from hiroba_core.services import payments as service
from hiroba_core.validation import normalize
from hiroba_web import console as web
from hiroba_web import context
from hiroba_web.http import NO_STORE

bp = Blueprint(__name__)
RESULTS = {
    "matched": "一致",
    "amount-mismatch": "金額の不一致",
    "missing-at-provider": "収納機関の記録なし",
    "missing-here": "こちらの記録なし",
}


def _payment_page(session, payment_id, status=200, errors=None, values=None):
    store = context.payments_store()
    payment = service.get_for_staff(store, payment_id, session.staff)
    return web.page(
        "payment.html",
        status=status,
        title=f"支払い {payment.id}",
        session=session,
        payment=service.staff_view(payment, store.list_refunds(payment.id)),
        may_refund=may(session.staff, "refund", payment.dantai, payment.department)
        and payment.refundable > 0,
        # a new key per form shown: the same form posted twice is one refund
        idempotency_key=(values or {}).get("idempotency_key") or secrets.token_urlsafe(18),
        errors=errors or [],
        values=values or {},
    )


@bp.route("/staff/payments", methods=["GET"])
@web.guarded(bp, "view")
def find_payment(session):
    """The payment id a resident or the provider quotes: straight to its page."""
    wanted = normalize((bp.current_request.query_params or {}).get("payment_id") or "")
    if wanted:
        return web.redirect("/staff/payments/" + quote(wanted, safe=""))
    return web.page("payments.html", title="支払い", session=session)


@bp.route("/staff/payments/{payment_id}", methods=["GET"])
@web.guarded(bp, "view")
def show_payment(session, payment_id):
    return _payment_page(session, payment_id)


def _amount(text):
    """Yen as typed (full-width digits and commas too): an int, or the text for the
    service to refuse with its message."""
    cleaned = normalize(text or "").replace(",", "").removesuffix("円")
    return int(cleaned) if cleaned.isascii() and cleaned.isdigit() else cleaned


def _refund_refused(error, session, payment_id, fields):
    """The refund form again, with what to correct (None: the console's error page)."""
    values = {k: fields.get(k, "") for k in ("amount", "reason", "idempotency_key")}
    if isinstance(error, RefundTooLarge):
        message = FieldError(
            "amount", f"返金できるのは {error.refundable:,}円までです", "amount too large"
        )
        return _payment_page(session, payment_id, 409, [message], values)
    if isinstance(error, ValidationFailed):
        return _payment_page(session, payment_id, 422, error.errors, values)
    return None


@bp.route("/staff/payments/{payment_id}/refunds", methods=["POST"], content_types=[web.FORM])
@web.guarded(bp, "refund", page=_refund_refused)
def refund(session, payment_id, fields):
    values = {k: fields.get(k, "") for k in ("amount", "reason", "idempotency_key")}
    made, _, _ = service.refund(
        context.payments_store(),
        payment_id,
        session.staff,
        {"amount": _amount(values["amount"]), "reason": values["reason"]},
        idempotency_key=values["idempotency_key"] or None,
        audit=web.audit_hook(session.staff),
    )
    return web.redirect(f"/staff/payments/{payment_id}?refund={made.id}#refunds")


# ---------------------------------------------------------------- 収納消込


def _reconciliation(session):
    """(query, rows or None): the member's 団体 only; a department unless an admin."""
    query = dict(bp.current_request.query_params or {})
    if not query.get("date"):
        return query, None
    query["dantai"] = session.staff.dantai
    dantai, day, department = service.read_reconciliation_query(query, session.staff)
    store = context.payments_store()
    rows = service.reconcile(
        store, dantai, day, service.settlement_rows(store.settings, day), department
    )
    return query, rows


def _reconciliation_refused(error, session):
    """The report's form again with what to correct (None: the console's error page)."""
    if not isinstance(error, ValidationFailed):
        return None
    return web.page(
        "reconciliation.html",
        status=422,
        title="収納消込",
        session=session,
        query=dict(bp.current_request.query_params or {}),
        errors=[e for e in error.errors if e.field != "dantai"],
        today=datetime.now(JST).date().isoformat(),
    )


@bp.route("/staff/reconciliation", methods=["GET"])
@web.guarded(bp, "export", page=_reconciliation_refused)
def reconciliation(session):
    query, rows = _reconciliation(session)
    return web.page(
        "reconciliation.html",
        title="収納消込",
        session=session,
        query=query,
        rows=rows,
        results=RESULTS,
        mismatches=sum(1 for r in rows or [] if r["result"] != "matched"),
        today=datetime.now(JST).date().isoformat(),
    )


@bp.route("/staff/reconciliation.csv", methods=["GET"])
@web.guarded(bp, "export")
def reconciliation_csv(session):
    query, rows = _reconciliation(session)
    if rows is None:
        return web.redirect("/staff/reconciliation")
    day, department = query["date"], query.get("department") or session.staff.department
    web.record(session.staff, "export", f"収納消込 {day}", department or "")
    name = f"reconciliation-{session.staff.dantai}-{day}.csv"
    return Response(
        body="\ufeff" + service.reconciliation_csv(rows),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            **NO_STORE,
        },
    )
