"""Payments' items in the procedures table (payments are a capability of the procedures app,
so its table and its IAM policy), mapped by hand.

PAYMENT#<id>   PAYMENT        amount, payable, dantai, department, status, version, history;
                              gsi1 while unfinished: PAYMENTS-OPEN / <expires_at>#<id> (the
                              expiry sweep's Query); once paid: PAID#<dantai>#<JST date> /
                              <department>#<paid_at>#<id> (the day's reconciliation); none
                              once failed
PAYMENT#<id>   PAYER          the verified address the receipt goes to, deleted by TTL
PAYMENT#<id>   EVENT#<provider>#<event id>   a notification applied (natural key: a replay
                              finds it and changes nothing), TTL
PAYMENT#<id>   REFUND#<rid>   a refund; gsi1 REFUNDS#<dantai>#<JST date> / <department>#…
PAYMENT#<id>   RECEIPT-MAIL   the receipt was mailed (at most once)
FLAGGED#<provider>#<event id>  FLAGGED   a notification recorded but not applied (unknown
                              payment, final payment, other amount); gsi1 FLAGGED / <at>
NOTICE#<納付番号>  NOTICE      a tax notice (CSV from the tax office); paid_payment once paid
PAYEASY#<お客様番号> PAYEASY    which payment a bank's notification is for
APPLICATION#<ref>  APPLICATION  gets paid_payment once its fee is paid
IDEMPOTENCY#payments#<sha256 of key>  IDEMPOTENCY   body hash, payment id, TTL 24 h
"""

from datetime import UTC, datetime

import botocore.exceptions

from ..dates import JST
from ..domain.payment import (
    Change,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    TaxNotice,
)
from . import dynamo
from .base import serialize
from .procedures import ProceduresStore, application_key

IDEMPOTENCY_SCOPE = "payments"
OPEN = "PAYMENTS-OPEN"
EVENT_TTL_DAYS = 400  # a provider retries for days; the marker outlives every retry
S = PaymentStatus


def jst_date(iso):
    return datetime.fromisoformat(iso).astimezone(JST).date().isoformat()


def epoch(iso):
    return int(datetime.fromisoformat(iso).timestamp())


def payment_key(pid):
    return {"pk": f"PAYMENT#{pid}", "sk": "PAYMENT"}


def payer_key(pid):
    return {"pk": f"PAYMENT#{pid}", "sk": "PAYER"}


def event_key(pid, provider, event_id):
    return {"pk": f"PAYMENT#{pid}", "sk": f"EVENT#{provider}#{event_id}"}


def refund_key(pid, rid):
    return {"pk": f"PAYMENT#{pid}", "sk": f"REFUND#{rid}"}


def flagged_key(provider, event_id):
    return {"pk": f"FLAGGED#{provider}#{event_id}", "sk": "FLAGGED"}


def notice_key(number):
    return {"pk": f"NOTICE#{number}", "sk": "NOTICE"}


def payeasy_key(customer):
    return {"pk": f"PAYEASY#{customer}", "sk": "PAYEASY"}


def payable_key(kind, ref):
    return application_key(ref) if kind == "application" else notice_key(ref)


def _index(payment):
    """The payment's place in gsi1, which depends on its status (see the module)."""
    if payment.status == S.SUCCESS:
        return {
            "gsi1pk": f"PAID#{payment.dantai}#{jst_date(payment.paid_at)}",
            "gsi1sk": f"{payment.department}#{payment.paid_at}#{payment.id}",
        }
    if payment.final:
        return {}
    return {"gsi1pk": OPEN, "gsi1sk": f"{payment.expires_at}#{payment.id}"}


def payment_to_item(payment):
    return {
        **payment_key(payment.id),
        **_index(payment),
        "type": "payment",
        "id": payment.id,
        "dantai": payment.dantai,
        "department": payment.department,
        "payable_kind": payment.payable_kind,
        "payable_ref": payment.payable_ref,
        "description": payment.description,
        "amount": payment.amount,
        "method": payment.method,
        "provider": payment.provider,
        "provider_ref": payment.provider_ref or None,
        "next_url": payment.next_url or None,
        "created_at": payment.created_at,
        "expires_at_iso": payment.expires_at,
        "paid_at": payment.paid_at or None,
        "payeasy": payment.payeasy or None,
        "refunded": payment.refunded,
        "status": payment.status.value,
        "version": payment.version,
        "history": [c.as_dict() for c in payment.history],
    }


def payment_from_item(item):
    return Payment(
        id=item["id"],
        dantai=item["dantai"],
        department=item["department"],
        payable_kind=item["payable_kind"],
        payable_ref=item["payable_ref"],
        description=item["description"],
        amount=int(item["amount"]),
        method=item["method"],
        provider=item["provider"],
        created_at=item["created_at"],
        status=PaymentStatus(item["status"]),
        version=int(item["version"]),
        history=[Change.from_dict(c) for c in item.get("history", [])],
        provider_ref=item.get("provider_ref", ""),
        next_url=item.get("next_url", ""),
        expires_at=item.get("expires_at_iso", ""),
        paid_at=item.get("paid_at", ""),
        payeasy=dict(item.get("payeasy") or {}),
        refunded=int(item.get("refunded", 0)),
    )


def record_changes(uow, payment, old_status, old_version, changes):
    """The payment's new status as part of `uow`, only when status and version are still
    those read (the conditional write is the lock); gsi1 follows the status."""
    index = _index(payment)
    sets = ["#s = :s", "#v = :v", "history = list_append(history, :h)"]
    values = {
        ":s": payment.status.value,
        ":v": payment.version,
        ":h": [c.as_dict() for c in changes],
        ":old": old_status.value,
        ":oldv": old_version,
    }
    for name, value in (
        ("provider_ref", payment.provider_ref),
        ("next_url", payment.next_url),
        ("payeasy", payment.payeasy),
        ("expires_at_iso", payment.expires_at),
    ):
        if value:
            sets.append(f"{name} = :{name}")
            values[f":{name}"] = value
    if payment.paid_at:
        sets.append("paid_at = :p")
        values[":p"] = payment.paid_at
    if index:
        sets += ["gsi1pk = :g", "gsi1sk = :gs"]
        values.update({":g": index["gsi1pk"], ":gs": index["gsi1sk"]})
    expression = "SET " + ", ".join(sets) + ("" if index else " REMOVE gsi1pk, gsi1sk")
    uow.update(
        payment_key(payment.id),
        expression,
        condition="#s = :old AND #v = :oldv",
        values=values,
        names={"#s": "status", "#v": "version"},
        label="payment",
    )


def refund_to_item(refund, payment):
    return {
        **refund_key(refund.payment_id, refund.id),
        "gsi1pk": f"REFUNDS#{payment.dantai}#{jst_date(refund.created_at)}",
        "gsi1sk": f"{payment.department}#{refund.created_at}#{refund.id}",
        "type": "refund",
        "id": refund.id,
        "payment_id": refund.payment_id,
        "dantai": payment.dantai,
        "department": payment.department,
        "amount": refund.amount,
        "reason": refund.reason,
        "by": refund.by,
        "created_at": refund.created_at,
        "provider_ref": refund.provider_ref or None,
        "status": refund.status.value,
        "version": refund.version,
        "history": [c.as_dict() for c in refund.history],
    }


def refund_from_item(item):
    return Refund(
        id=item["id"],
        payment_id=item["payment_id"],
        amount=int(item["amount"]),
        reason=item["reason"],
        by=item["by"],
        created_at=item["created_at"],
        status=RefundStatus(item["status"]),
        version=int(item["version"]),
        history=[Change.from_dict(c) for c in item.get("history", [])],
        provider_ref=item.get("provider_ref", ""),
    )


def notice_to_item(notice, expires_at):
    return {
        **notice_key(notice.number),
        "type": "tax-notice",
        "number": notice.number,
        "confirmation_hash": notice.confirmation_hash,
        "dantai": notice.dantai,
        "department": notice.department,
        "tax": notice.tax,
        "fiscal_year": notice.fiscal_year,
        "period": notice.period,
        "amount": notice.amount,
        "due": notice.due,
        "subject": notice.subject,
        "expires_at": int(expires_at),
    }


def notice_from_item(item):
    return TaxNotice(
        number=item["number"],
        confirmation_hash=item["confirmation_hash"],
        dantai=item["dantai"],
        department=item["department"],
        tax=item["tax"],
        fiscal_year=int(item["fiscal_year"]),
        period=item["period"],
        amount=int(item["amount"]),
        due=item["due"],
        subject=item.get("subject", ""),
        paid_payment=item.get("paid_payment", ""),
    )


def _failed(error):
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class PaymentsStore(ProceduresStore):
    """The procedures table, seen by payments (applications are read to pay their fee)."""

    def get_payment(self, pid):
        item = self._get(payment_key(pid), consistent=True)
        return payment_from_item(item) if item else None

    def get_payer(self, pid, now_epoch):
        item = self._get(payer_key(pid), consistent=True)
        if item is None or int(item.get("expires_at", 0)) <= now_epoch:
            return None
        return item.get("email")

    def get_payable(self, kind, ref):
        return self._get(payable_key(kind, ref), consistent=True)

    def get_notice(self, number):
        item = self._get(notice_key(number), consistent=True)
        return notice_from_item(item) if item else None

    def payment_of_customer_number(self, customer):
        item = self._get(payeasy_key(customer), consistent=True)
        return item["payment_id"] if item else None

    def get_event(self, pid, provider, event_id):
        return self._get(event_key(pid, provider, event_id), consistent=True)

    def get_flagged(self, provider, event_id):
        return self._get(flagged_key(provider, event_id), consistent=True)

    def list_refunds(self, pid):
        items = self._query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
            ExpressionAttributeValues={
                ":p": serialize(f"PAYMENT#{pid}"),
                ":s": serialize("REFUND#"),
            },
            ConsistentRead=True,
        )
        return [refund_from_item(i) for i in items]

    def open_payments_due(self, now_iso):
        """Unfinished payments whose expiry is before `now_iso` (one Query on gsi1)."""
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p AND gsi1sk < :t",
            ExpressionAttributeValues={":p": serialize(OPEN), ":t": serialize(now_iso)},
        )
        return [i["id"] for i in items]

    def paid_on(self, dantai, day, department=None):
        """Payments paid on a JST day for a 団体 (and department)."""
        return [payment_from_item(i) for i in self._day(f"PAID#{dantai}#{day}", department)]

    def refunds_on(self, dantai, day, department=None):
        return [refund_from_item(i) for i in self._day(f"REFUNDS#{dantai}#{day}", department)]

    def _day(self, partition, department):
        condition, values = "gsi1pk = :p", {":p": serialize(partition)}
        if department:
            condition += " AND begins_with(gsi1sk, :d)"
            values[":d"] = serialize(f"{department}#")
        return self._query(
            IndexName="gsi1",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
        )

    def flagged(self):
        return self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": serialize("FLAGGED")},
        )

    def flag(self, provider, event_id, reason, at, detail):
        """Record a notification that was not applied; once per event (a replay of it
        changes nothing). True when recorded now."""
        item = {
            **flagged_key(provider, event_id),
            "type": "flagged-notification",
            "gsi1pk": "FLAGGED",
            "gsi1sk": f"{at}#{provider}#{event_id}",
            "provider": provider,
            "event_id": event_id,
            "reason": reason,
            "at": at,
            "detail": detail,
        }
        try:
            with dynamo.unavailable_on_failure():
                self.client.put_item(
                    TableName=self.table,
                    Item=dynamo.to_item(item),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except botocore.exceptions.ClientError as error:
            if _failed(error):
                return False
            raise
        return True

    def mark_receipt_mailed(self, pid, at):
        """True the first time only: the receipt mail goes out once."""
        try:
            with dynamo.unavailable_on_failure():
                self.client.put_item(
                    TableName=self.table,
                    Item=dynamo.to_item(
                        {
                            "pk": f"PAYMENT#{pid}",
                            "sk": "RECEIPT-MAIL",
                            "at": at,
                            "expires_at": epoch(at) + EVENT_TTL_DAYS * 86400,
                        }
                    ),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except botocore.exceptions.ClientError as error:
            if _failed(error):
                return False
            raise
        return True

    def save_notice(self, notice, expires_at):
        """Load (or reload) a notice from the tax office's file; a paid one keeps its
        payment: the file never un-pays a notice. True when written."""
        item = notice_to_item(notice, expires_at)
        names = {f"#{k}": k for k in item if k not in ("pk", "sk")}
        values = {f":{k}": v for k, v in item.items() if k not in ("pk", "sk")}
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in item if k not in ("pk", "sk"))
        try:
            with dynamo.unavailable_on_failure():
                self.client.update_item(
                    TableName=self.table,
                    Key=dynamo.to_item(notice_key(notice.number)),
                    UpdateExpression=expression,
                    ConditionExpression="attribute_not_exists(paid_payment)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=dynamo.to_values(values),
                )
        except botocore.exceptions.ClientError as error:
            if _failed(error):
                return False
            raise
        return True


def now_iso(now=None):
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).isoformat(timespec="seconds")
