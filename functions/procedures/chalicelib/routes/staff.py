"""Staff (JWT with role and department, as for publishing): a procedure's applications with
the applicants' personal data, version-checked status changes, and payments: a payment's
record, refunds, the daily reconciliation (収納消込)."""

from chalice import Blueprint, Response

from hiroba_core.services import applications as service
from hiroba_core.services import payments
from hiroba_web import auth, context
from hiroba_web.http import JSON, NO_STORE, api, json_response, read_body

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


@bp.route("/staff/applications/{reference}/proposal", methods=["POST"], content_types=[JSON])
@api
def propose(reference):
    who = auth.staff(bp.current_request)
    application = service.propose(
        context.procedures_store(), reference, who, read_body(bp.current_request)
    )
    return json_response(service.staff_view(application))


@bp.route("/staff/applications/{reference}/approval", methods=["POST"], content_types=[JSON])
@api
def approve(reference):
    who = auth.staff(bp.current_request)
    application = service.approve(
        context.procedures_store(),
        reference,
        who,
        read_body(bp.current_request),
        issuer=context.document_issuer(),
    )
    return json_response(service.staff_view(application))


# ---------------------------------------------------------------- payments


@bp.route("/staff/payments/{payment_id}", methods=["GET"])
@api
def get_payment(payment_id):
    who = auth.staff(bp.current_request)
    store = context.payments_store()
    payment = payments.get_for_staff(store, payment_id, who)
    return json_response(payments.staff_view(payment, store.list_refunds(payment.id)))


@bp.route("/staff/payments/{payment_id}/refunds", methods=["POST"], content_types=[JSON])
@api
def refund(payment_id):
    request = bp.current_request
    who = auth.staff(request)
    store = context.payments_store()
    made, payment, replayed = payments.refund(
        store,
        payment_id,
        who,
        read_body(request),
        idempotency_key=request.headers.get("idempotency-key"),
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    body = {"refund": payments.refund_view(made), "payment": payments.staff_view(payment, [])}
    return json_response(body, status=200 if replayed else 201, headers=headers)


@bp.route("/staff/reconciliation", methods=["GET"])
@api
def reconciliation():
    """収納消込: the day's payments and refunds of a 団体 (and department) matched against
    the providers' settlement files, as CSV."""
    who = auth.staff(bp.current_request)
    query = bp.current_request.query_params or {}
    dantai, day, department = payments.read_reconciliation_query(query, who)
    store = context.payments_store()
    rows = payments.reconcile(
        store, dantai, day, payments.settlement_rows(store.settings, day), department
    )
    return Response(
        body=payments.reconciliation_csv(rows),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="reconciliation-{dantai}-{day}.csv"',
            **NO_STORE,
        },
    )
