"""Payments (公金収納): pay an application's fee or a tax notice by card or Pay-easy, learn the
outcome from the provider, expire what was never paid, refund, reconcile. One function per
use case; the routes only translate HTTP.

Exactly once, as GOV.UK Pay does it:
- create: an Idempotency-Key with a hash of the body; the same key with another body is a
  conflict; the payment, the key's record and the rate counter are one transaction.
- the resident's return from the provider never decides: the state is re-read from the
  provider; a notification is verified (signature) and applied at most once (its event id
  is a natural key written in the same transaction as the status change, which is
  conditional on the old status and version). A notification for an unknown payment, for
  another amount, or for a payment already final in another state is recorded and flagged
  for staff, never applied.
- the payable (application / tax notice) is marked paid with attribute_not_exists: a
  second successful payment of the same thing is kept (the money was taken) and flagged
  for a refund.
"""

import contextlib
import csv
import io
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .. import tokens
from ..access import authorize
from ..dates import JST, format_jst
from ..domain.application import ApplicationStatus
from ..domain.payment import (
    FAILED,
    LABELS,
    METHODS,
    REFUND_LABELS,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    TaxNotice,
)
from ..errors import (
    AlreadyPaid,
    DomainError,
    FieldError,
    IdempotencyConflict,
    InquiryNotMatched,
    NotFound,
    NotPayable,
    RateLimited,
    RefundTooLarge,
    StoreUnavailable,
    ValidationFailed,
    VersionConflict,
)
from ..ids import parse_inquiry_code, parse_reference
from ..payments import providers
from ..store import mapping
from ..store import payments as items
from ..store.uow import Cancelled
from ..validation import check_idempotency_key, is_email, normalize
from .intake import Draft, Intake
from .staff import csv_cell

logger = logging.getLogger(__name__)
IDEMPOTENCY_TTL = 24 * 3600
PAYER_DAYS = 30  # the receipt address is kept this long after the payment is created
NOTICE_DAYS_AFTER_DUE = 400  # a tax notice's row is deleted by TTL after this
MAX_REASON = 500
S = PaymentStatus
_NO_NOTICE = "0" * 64


def _now(now):
    now = now or datetime.now(UTC)
    return now, int(now.timestamp()), now.astimezone(UTC).isoformat(timespec="seconds")


def _iso(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def new_payment_id():
    """22 characters, 128 random bits: a payment's pages are reached by this id alone."""
    return secrets.token_urlsafe(16)


# ---------------------------------------------------------------- reading what is sent


def _digits(text):
    """Digits as typed (full width, with spaces or hyphens), or None."""
    if not isinstance(text, str):
        return None
    cleaned = "".join(normalize(text).replace("-", "").split())
    return cleaned if cleaned.isascii() and cleaned.isdigit() else None


def read_notice_numbers(raw):
    errors, number, confirmation = [], None, None
    text = raw.get("notice_number")
    number = _digits(text)
    if not normalize(text if isinstance(text, str) else ""):
        errors.append(
            FieldError("notice_number", "納付番号を入力してください", "Enter the payment number")
        )
    elif number is None or len(number) != 16:
        errors.append(
            FieldError(
                "notice_number",
                "納付番号は、納税通知書に印刷された16桁の数字を入力してください",
                "Enter the 16-digit payment number printed on the tax notice",
            )
        )
    text = raw.get("confirmation")
    confirmation = _digits(text)
    if not normalize(text if isinstance(text, str) else ""):
        errors.append(
            FieldError(
                "confirmation", "確認番号を入力してください", "Enter the confirmation number"
            )
        )
    elif confirmation is None or len(confirmation) != 6:
        errors.append(
            FieldError(
                "confirmation",
                "確認番号は、納税通知書に印刷された6桁の数字を入力してください",
                "Enter the 6-digit confirmation number printed on the tax notice",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return number, confirmation


def _count(store, client, epoch, scope, limit):
    settings = store.settings
    client_hash = tokens.client_hash(settings.secret, client)
    for attempt in range(4):
        with store.uow() as uow:
            retry_after = mapping.count_request(
                uow, client_hash, epoch, limit, settings.rate_window_seconds, scope=scope
            )
            try:
                uow.commit()
                return
            except Cancelled as cancelled:
                if "rate" in cancelled.failed:
                    raise RateLimited(retry_after) from None
                time.sleep(0.02 * (attempt + 1))
    raise StoreUnavailable()


def count_guess(store, client, epoch):
    """Every attempt that checks a secret number (a notice's 確認番号, an application's
    問合せ番号) counts against the client's inquiry limit, shared with the status inquiry:
    paying is not a way around it."""
    _count(store, client, epoch, "inquiry", store.settings.inquiry_rate_limit)


def lookup_notice(store, raw, *, client, now=None):
    """The tax notice for a 納付番号 and its 確認番号; a wrong number and a wrong code are the
    same InquiryNotMatched, counted against the client's inquiry limit."""
    _, epoch, _ = _now(now)
    number, confirmation = read_notice_numbers(raw)
    count_guess(store, client, epoch)
    notice = store.get_notice(number)
    expected = notice.confirmation_hash if notice else _NO_NOTICE
    if (
        not tokens.inquiry_matches(store.settings.keys, expected, number, confirmation)
        or not notice
    ):
        raise InquiryNotMatched()
    return notice


def notice_view(notice):
    return {
        "notice_number": notice.number,
        "tax": notice.tax,
        "fiscal_year": notice.fiscal_year,
        "period": notice.period,
        "subject": notice.subject,
        "amount": notice.amount,
        "due": notice.due,
        "dantai": notice.dantai,
        "paid": bool(notice.paid_payment),
    }


@dataclass(frozen=True)
class Payable:
    kind: str
    ref: str
    dantai: str
    department: str
    amount: int
    description: str


def _payable_of_application(store, catalogue, raw):
    reference = parse_reference(raw.get("reference"))
    code = parse_inquiry_code(raw.get("inquiry_code"))
    if reference is None or code is None:
        from .applications import read_inquiry

        read_inquiry(raw)  # names the field that is wrong
    application = store.get_application(reference)
    expected = application.inquiry_hash if application else _NO_NOTICE
    if (
        not tokens.inquiry_matches(store.settings.keys, expected, reference, code)
        or not application
    ):
        raise InquiryNotMatched()
    if application.paid_payment:
        raise AlreadyPaid()
    if application.fee <= 0 or application.status in (
        ApplicationStatus.WITHDRAWN,
        ApplicationStatus.REJECTED,
    ):
        raise NotPayable()
    procedure = catalogue.get(application.procedure_id)
    title = procedure.title if procedure else application.procedure_id
    copies = ""
    if procedure and procedure.fee_per and procedure.fee:
        copies = f"（{application.fee // procedure.fee}通）"
    return Payable(
        "application",
        reference,
        application.dantai or (procedure.dantai if procedure else ""),
        application.department,
        application.fee,
        f"{title} 手数料{copies}",
    )


def _payable_of_notice(store, raw):
    number, confirmation = read_notice_numbers(raw)
    notice = store.get_notice(number)
    expected = notice.confirmation_hash if notice else _NO_NOTICE
    if (
        not tokens.inquiry_matches(store.settings.keys, expected, number, confirmation)
        or not notice
    ):
        raise InquiryNotMatched()
    if notice.paid_payment:
        raise AlreadyPaid()
    return Payable(
        "tax", number, notice.dantai, notice.department, notice.amount, notice.description
    )


def _read_create(raw):
    errors = []
    kind = raw.get("kind")
    if kind not in ("application", "tax"):
        errors.append(
            FieldError(
                "kind",
                "支払うもの（application か tax）を選んでください",
                "kind must be application or tax",
            )
        )
    method = raw.get("method")
    if method not in METHODS:
        errors.append(
            FieldError("method", "支払い方法を選んでください", "Choose how to pay: card or payeasy")
        )
    email = raw.get("email")
    email = normalize(email) if isinstance(email, str) else ""
    if email and not is_email(email):
        errors.append(
            FieldError(
                "email",
                "メールアドレスは name@example.jp のように入力してください",
                "Enter an email address like name@example.jp",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return kind, method, email


# ---------------------------------------------------------------- create and start


def create(store, catalogue, raw, *, client, idempotency_key, now=None):
    """(Payment, replayed): one payment per Idempotency-Key, started with its provider (the
    card page's address, or the Pay-easy numbers)."""
    settings = store.settings
    now, epoch, at = _now(now)
    if not idempotency_key:
        raise ValidationFailed(
            [
                FieldError(
                    "idempotency_key",
                    "送信キー（Idempotency-Key）を付けて送信してください",
                    "Send an Idempotency-Key header",
                )
            ]
        )
    intake = Intake(
        store,
        items.IDEMPOTENCY_SCOPE,
        idempotency_key,
        lambda record: _replayed(store, record),
        rate_scope="payment",
    )
    kind, method, email = _read_create(raw)
    ref = raw.get("reference") if kind == "application" else raw.get("notice_number")
    digest = tokens.body_hash({"kind": kind, "ref": str(ref), "method": method, "email": email})
    record = intake.earlier()
    if record:
        return intake.answer_again(record, digest), True
    count_guess(store, client, epoch)
    payable = (
        _payable_of_application(store, catalogue, raw)
        if kind == "application"
        else _payable_of_notice(store, raw)
    )
    provider = providers.for_method(settings, method)

    def draft():
        payment = Payment(
            id=new_payment_id(),
            dantai=payable.dantai,
            department=payable.department,
            payable_kind=payable.kind,
            payable_ref=payable.ref,
            description=payable.description,
            amount=payable.amount,
            method=method,
            provider=provider.name,
            created_at=at,
            expires_at=_iso(now + timedelta(minutes=settings.card_minutes)),
        )
        written = [("payment", items.payment_to_item(payment))]
        if email:  # the receipt's address, deleted by TTL
            payer = {"type": "payer", "email": email, "expires_at": epoch + PAYER_DAYS * 86400}
            written.append(("payer", {**items.payer_key(payment.id), **payer}))
        return Draft(tuple(written), {"payment_id": payment.id}, payment)

    payment, replayed = intake.receive(digest, draft, client=client, epoch=epoch)
    if replayed:
        return payment, True
    logger.info("payment created method=%s", method)
    return start(store, payment, now=now), False


def _replayed(store, record):
    """The payment an earlier request with the same key created, started if it was not."""
    payment = store.get_payment(record["payment_id"])
    if payment is None:  # the creating transaction wrote both, so this is a short race
        raise StoreUnavailable()
    return start(store, payment)


def return_url(settings, payment):
    return f"{settings.site_url}/api/procedures/payments/{payment.id}/return"


def start(store, payment, now=None):
    """Hand a created payment to its provider (created → started); a payment already
    started is returned as it is. Two requests may both call the provider: the conditional
    write keeps one, and the other reads it back."""
    if payment.status != S.CREATED:
        return payment
    settings = store.settings
    now, _, at = _now(now)
    provider = providers.by_name(settings, payment.provider)
    if payment.method == "payeasy":
        payment.expires_at = payeasy_deadline(now, settings.payeasy_days)
    started = provider.start(payment, return_url(settings, payment))
    old_status, old_version = payment.status, payment.version
    change = payment.transition(S.STARTED, at, by=f"provider:{provider.name}")
    payment.provider_ref = started.provider_ref
    payment.next_url = started.next_url
    payment.payeasy = dict(started.payeasy)
    with store.uow() as uow:
        items.record_changes(uow, payment, old_status, old_version, [change])
        if started.payeasy:
            uow.put_new(
                {
                    **items.payeasy_key(started.provider_ref),
                    "type": "payeasy",
                    "payment_id": payment.id,
                    "expires_at": int(datetime.fromisoformat(payment.expires_at).timestamp())
                    + 400 * 86400,
                },
                label="payeasy",
            )
        try:
            uow.commit()
        except Cancelled:
            return store.get_payment(payment.id)
    return payment


def payeasy_deadline(now, days):
    """The end (23:59:59 JST) of the day `days` after today."""
    day = (now.astimezone(JST) + timedelta(days=days)).date()
    return _iso(datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=JST))


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Applied:
    """What became of an outcome: "applied", "unchanged" (already so, or a replay),
    or "flagged" with the reason."""

    result: str
    payment: Payment | None = None
    reason: str = ""


def _apply(store, payment_id, status, amount, *, by, reason="", event=None, now=None):
    """Bring the payment to the provider's outcome `status`, at most once per `event`
    ((provider, event id) or None for a re-read). Flags what must not be applied."""
    now, epoch, at = _now(now)
    provider_name = event[0] if event else by
    for attempt in range(8):
        payment = store.get_payment(payment_id) if payment_id else None
        if payment is None:
            return _flag(store, event, "unknown-payment", at, payment_id)
        if event and store.get_event(payment.id, *event):
            return Applied("unchanged", payment, "replayed")
        if amount and amount != payment.amount:
            return _flag(store, event, "amount-mismatch", at, payment.id, payment)
        if status in ("started", "created", "ignored") or payment.status == status:
            _record_event(store, payment, event, at, epoch)
            return Applied("unchanged", payment)
        if payment.final:
            return _flag(store, event, f"final-{payment.status.value}", at, payment.id, payment)
        old_status, old_version = payment.status, payment.version
        try:
            changes = payment.reach(status, at, by=provider_name, reason=reason)
        except DomainError:
            return _flag(store, event, f"invalid-{status}", at, payment.id, payment)
        mark_payable = payment.status == S.SUCCESS
        with store.uow() as uow:
            items.record_changes(uow, payment, old_status, old_version, changes)
            if event:
                uow.put_new(_event_item(payment, event, at, epoch), label="event")
            if mark_payable:
                uow.update(
                    items.payable_key(payment.payable_kind, payment.payable_ref),
                    "SET paid_payment = :p, paid_at = :t",
                    condition="attribute_exists(pk) AND attribute_not_exists(paid_payment)",
                    values={":p": payment.id, ":t": at},
                    label="payable",
                )
            try:
                uow.commit()
            except Cancelled as cancelled:
                if "payable" in cancelled.failed and not cancelled.failed - {"payable"}:
                    # the money was taken twice for one thing: keep it, flag it for a refund
                    _commit_without_payable(
                        store, payment, old_status, old_version, changes, event, at, epoch
                    )
                    _flag(
                        store,
                        event or ("payment", payment.id),
                        "paid-twice",
                        at,
                        payment.id,
                        payment,
                    )
                    return Applied("applied", payment, "paid-twice")
                time.sleep(0.01 * (attempt + 1))  # the return and the notification at once
                continue
        logger.info("payment %s", payment.status.value)
        return Applied("applied", payment)
    raise StoreUnavailable()


def _commit_without_payable(store, payment, old_status, old_version, changes, event, at, epoch):
    with store.uow() as uow:
        items.record_changes(uow, payment, old_status, old_version, changes)
        if event:
            uow.put_new(_event_item(payment, event, at, epoch), label="event")
        try:
            uow.commit()
        except Cancelled:
            raise VersionConflict() from None


def _event_item(payment, event, at, epoch):
    return {
        **items.event_key(payment.id, *event),
        "type": "notification",
        "at": at,
        "expires_at": epoch + items.EVENT_TTL_DAYS * 86400,
    }


def _record_event(store, payment, event, at, epoch):
    if not event:
        return
    with store.uow() as uow:
        uow.put_new(_event_item(payment, event, at, epoch), label="event")
        with contextlib.suppress(Cancelled):  # recorded by a replay at the same moment
            uow.commit()


def _flag(store, event, reason, at, payment_id, payment=None):
    if event:
        detail = {"payment_id": payment_id or "", "status": payment.status.value if payment else ""}
        store.flag(event[0], event[1], reason, at, detail)
    logger.warning("payment notification flagged: %s", reason)
    return Applied("flagged", payment, reason)


def notify(store, provider_name, headers, body, *, mailer=None, now=None):
    """A provider's notification: verified (SignatureInvalid), then applied once or
    flagged. Returns Applied."""
    if provider_name not in providers.NAMES:
        raise NotFound("provider")
    provider = providers.by_name(store.settings, provider_name)
    now, _, _ = _now(now)
    note = provider.notification(headers, body, now=int(now.timestamp()))
    payment_id = note.payment_id
    if not payment_id and note.customer:
        payment_id = store.payment_of_customer_number(note.customer)
    applied = _apply(
        store,
        payment_id,
        note.status,
        note.amount,
        by=provider_name,
        reason=note.reason,
        event=(provider_name, note.event_id),
        now=now,
    )
    _after(store, mailer, applied, now)
    return applied


def returned(store, payment_id, *, mailer=None, now=None):
    """The resident is back from the provider's page: re-read the payment there (the
    return itself proves nothing) and apply what the provider says."""
    payment = store.get_payment(payment_id)
    if payment is None:
        raise NotFound("payment")
    if payment.final or payment.status == S.CREATED:
        return payment
    provider = providers.by_name(store.settings, payment.provider)
    outcome = provider.status(payment)
    applied = _apply(
        store,
        payment.id,
        outcome.status,
        outcome.amount,
        by=f"provider:{provider.name}",
        reason=outcome.reason,
        now=now,
    )
    _after(store, mailer, applied, now)
    return applied.payment or store.get_payment(payment_id)


def _after(store, mailer, applied, now):
    payment = applied.payment
    if applied.result == "applied" and payment and payment.status == S.SUCCESS and mailer:
        send_receipt(store, mailer, payment, now)


# ---------------------------------------------------------------- expiry


def expire_due(store, *, now=None):
    """Expire every unfinished payment past its time (card: 90 minutes after it was
    created; Pay-easy: at its deadline). The provider is asked first — a payment paid at
    the last moment is a success, not an expiry — then told to stop taking it. Safe to
    run twice and side by side: each change is conditional."""
    now, _, at = _now(now)
    expired = []
    for payment_id in store.open_payments_due(at):
        payment = store.get_payment(payment_id)
        if payment is None or payment.final or payment.expires_at > at:
            continue
        provider = providers.by_name(store.settings, payment.provider)
        try:
            if payment.provider_ref:
                outcome = provider.status(payment)
                if outcome.status in ("success", *[s.value for s in FAILED]):
                    _apply(store, payment.id, outcome.status, outcome.amount, by="sweep", now=now)
                    continue
                provider.cancel(payment)
            applied = _apply(store, payment.id, S.EXPIRED.value, 0, by="sweep", now=now)
        except DomainError:  # the provider or the store is down: the next run tries again
            logger.warning("payment expiry deferred")
            continue
        # the provider's own "expired" notification may have come first: the same end
        if applied.payment and applied.payment.status == S.EXPIRED:
            expired.append(payment.id)
    return expired


# ---------------------------------------------------------------- what residents see


def _labelled(status):
    ja, en = LABELS[PaymentStatus(status)]
    return {"status": PaymentStatus(status).value, "status_label": ja, "status_label_en": en}


def public_view(payment):
    """What the payer may see (the id is the key to it): no personal data."""
    method_ja, method_en = METHODS[payment.method]
    data = {
        "payment_id": payment.id,
        "payable_kind": payment.payable_kind,
        "description": payment.description,
        "amount": payment.amount,
        "method": payment.method,
        "method_label": method_ja,
        "method_label_en": method_en,
        **_labelled(payment.status),
        "final": payment.final,
        "created_at": payment.created_at,
        "expires_at": payment.expires_at,
        "paid_at": payment.paid_at or None,
        "refunded": payment.refunded,
        "next_url": next_url(payment),
        "receipt_url": f"/api/procedures/payments/{payment.id}/receipt",
    }
    if payment.method == "payeasy" and payment.payeasy:
        data["payeasy"] = dict(payment.payeasy)
    return data


def next_url(payment):
    """Where the resident goes to pay: the provider's page for a started card payment."""
    if payment.method == "card" and payment.status == S.STARTED:
        return payment.next_url
    return f"/api/procedures/payments/{payment.id}"


def get(store, payment_id):
    payment = store.get_payment(payment_id) if isinstance(payment_id, str) else None
    if payment is None:
        raise NotFound("payment")
    return payment


# ---------------------------------------------------------------- receipts (領収)


def receipt_text(payment, settings):
    method = METHODS[payment.method][0]
    return (
        "宮城県 公金収納サービスです。お支払いを受け付けました（領収）。\n\n"
        f"お支払い番号: {payment.id}\n"
        f"内容: {payment.description}\n"
        f"金額: {payment.amount:,}円\n"
        f"お支払い方法: {method}\n"
        f"お支払い日時: {format_jst(payment.paid_at)}\n\n"
        f"領収の画面: {settings.site_url}/api/procedures/payments/{payment.id}/receipt\n\n"
        "このメールに心当たりがない場合は、このメールを削除してください。\n"
    )


def send_receipt(store, mailer, payment, now=None):
    """Mail the receipt to the payer's address, once (a marker written first)."""
    _, epoch, at = _now(now)
    address = store.get_payer(payment.id, epoch)
    if not address or not store.mark_receipt_mailed(payment.id, at):
        return False
    try:
        mailer.send(
            address, "【宮城県】お支払いの領収のお知らせ", receipt_text(payment, store.settings)
        )
    except Exception:  # the payment stands; the receipt page shows the same
        logger.warning("receipt mail could not be sent")
        return False
    return True


# ---------------------------------------------------------------- staff: refunds


def _read_refund(raw, payment):
    errors = []
    amount = raw.get("amount", payment.refundable)
    if not (type(amount) is int and amount >= 1):
        errors.append(
            FieldError(
                "amount",
                "返金額を1円以上の整数で指定してください",
                "amount must be a whole number of yen, at least 1",
            )
        )
    reason = raw.get("reason")
    reason = normalize(reason, multiline=True) if isinstance(reason, str) else ""
    if not reason:
        errors.append(
            FieldError("reason", "返金の理由を入力してください", "Give the reason for the refund")
        )
    elif len(reason) > MAX_REASON:
        errors.append(
            FieldError(
                "reason",
                f"理由は{MAX_REASON}文字以内にしてください",
                f"The reason must be {MAX_REASON} characters or fewer",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return amount, reason


def refund(store, payment_id, staff, raw, *, idempotency_key, now=None, audit=None):
    """A full (no amount) or partial refund of a successful payment, by staff of its
    department, with a reason; one per Idempotency-Key. Returns (Refund, Payment, replayed).
    `audit(uow, action, target, detail)` (the console's hook) adds the audit entry to the
    refund's own transaction: a replayed key refunds and records nothing again."""
    now, epoch, at = _now(now)
    if not idempotency_key:
        raise ValidationFailed(
            [
                FieldError(
                    "idempotency_key",
                    "送信キー（Idempotency-Key）を付けてください",
                    "Send an Idempotency-Key header",
                )
            ]
        )
    check_idempotency_key(idempotency_key)
    payment = get(store, payment_id)
    authorize(staff, "refund", payment.dantai, payment.department)
    record = store.get_idempotency(
        items.IDEMPOTENCY_SCOPE, f"refund:{payment.id}:{idempotency_key}"
    )
    amount, reason = _read_refund(raw, payment)
    digest = tokens.body_hash({"payment": payment.id, "amount": amount, "reason": reason})
    if record:
        return _refund_replay(store, payment, record, digest)
    if payment.status != S.SUCCESS or amount > payment.refundable:
        raise RefundTooLarge(payment.refundable)
    made = Refund(
        id=new_payment_id(),
        payment_id=payment.id,
        amount=amount,
        reason=reason,
        by=staff.subject,
        created_at=at,
    )
    with store.uow() as uow:
        uow.put_new(items.refund_to_item(made, payment), label="refund")
        # DynamoDB conditions have no arithmetic: the total read is the condition
        uow.update(
            items.payment_key(payment.id),
            "SET refunded = :new",
            condition="#s = :ok AND refunded = :old",
            values={
                ":new": payment.refunded + amount,
                ":old": payment.refunded,
                ":ok": S.SUCCESS.value,
            },
            names={"#s": "status"},
            label="payment",
        )
        uow.put_new(
            {
                **mapping.idempotency_key(
                    items.IDEMPOTENCY_SCOPE, f"refund:{payment.id}:{idempotency_key}"
                ),
                "type": "idempotency",
                "body_hash": digest,
                "refund_id": made.id,
                "expires_at": epoch + IDEMPOTENCY_TTL,
            },
            label="idempotency",
        )
        if audit is not None:  # who refunded how much; the reason stays on the refund
            audit(uow, "refund", payment.id, f"{amount}円 {made.id}")
        try:
            uow.commit()
        except Cancelled as cancelled:
            if "idempotency" in cancelled.failed or cancelled.conflict:
                record = store.get_idempotency(
                    items.IDEMPOTENCY_SCOPE, f"refund:{payment.id}:{idempotency_key}"
                )
                if record:
                    return _refund_replay(store, payment, record, digest)
            if "payment" in cancelled.failed:
                raise RefundTooLarge(get(store, payment_id).refundable) from None
            raise StoreUnavailable() from None
    provider = providers.by_name(store.settings, payment.provider)
    try:
        outcome = provider.refund(payment, made)
        status = RefundStatus.SUCCESS if outcome.status == "success" else RefundStatus.ERROR
        made.provider_ref = outcome.provider_ref
    except DomainError:
        status = RefundStatus.ERROR
    _finish_refund(store, payment, made, status, at)
    logger.info("refund %s", made.status.value)
    return made, get(store, payment.id), False


def _finish_refund(store, payment, made, status, at):
    old_version = made.version
    change = made.transition(status, at, by=f"provider:{payment.provider}")
    with store.uow() as uow:
        uow.update(
            items.refund_key(payment.id, made.id),
            "SET #s = :s, #v = :v, history = list_append(history, :h), provider_ref = :r",
            condition="#s = :old AND #v = :oldv",
            values={
                ":s": made.status.value,
                ":v": made.version,
                ":h": [change.as_dict()],
                ":r": made.provider_ref or "",
                ":old": RefundStatus.SUBMITTED.value,
                ":oldv": old_version,
            },
            names={"#s": "status", "#v": "version"},
            label="refund",
        )
        if status == RefundStatus.ERROR:  # the money was not returned: refundable again
            uow.update(
                items.payment_key(payment.id),
                "SET refunded = refunded - :a",
                values={":a": made.amount},
                label="payment",
            )
        uow.commit()


def _refund_replay(store, payment, record, digest):
    if record["body_hash"] != digest:
        raise IdempotencyConflict()
    found = {r.id: r for r in store.list_refunds(payment.id)}.get(record.get("refund_id"))
    if found is None:
        raise StoreUnavailable()
    return found, get(store, payment.id), True


def refund_view(made):
    ja, en = REFUND_LABELS[made.status]
    return {
        "refund_id": made.id,
        "payment_id": made.payment_id,
        "amount": made.amount,
        "reason": made.reason,
        "status": made.status.value,
        "status_label": ja,
        "status_label_en": en,
        "created_at": made.created_at,
        "history": [c.as_dict() for c in made.history],
    }


def get_for_staff(store, payment_id, staff):
    """A payment for staff: of their 団体 (another's is 404) and their department."""
    payment = get(store, payment_id)
    authorize(staff, "view", payment.dantai, payment.department)
    return payment


def staff_view(payment, refunds):
    return {
        **public_view(payment),
        "dantai": payment.dantai,
        "department": payment.department,
        "payable": {"kind": payment.payable_kind, "ref": payment.payable_ref},
        "provider": payment.provider,
        "version": payment.version,
        "refundable": payment.refundable,
        "history": [c.as_dict() for c in payment.history],
        "refunds": [refund_view(r) for r in refunds],
    }


# ---------------------------------------------------------------- reconciliation (収納消込)

RECONCILIATION_COLUMNS = (
    "date",
    "dantai",
    "department",
    "kind",
    "payment_id",
    "refund_id",
    "description",
    "method",
    "our_amount",
    "provider_amount",
    "result",
)


def reconcile(store, dantai, day, settlement, department=None):
    """Rows for one 団体 (and department) and JST day: every payment and refund we hold as
    done, matched against the providers' settlement rows (kind, payment id). result:
    matched | amount-mismatch | missing-at-provider | missing-here (the provider settled
    something we do not hold as done, for this 団体's payments or unknown ones)."""
    ours = {}
    for payment in store.paid_on(dantai, day, department):
        ours[("payment", payment.id)] = (payment, payment.amount)
    for made in store.refunds_on(dantai, day, department):
        if made.status == RefundStatus.SUCCESS:
            ours[("refund", made.id)] = (get(store, made.payment_id), made.amount)
    theirs = {}
    for row in settlement:
        key = (row.kind, row.payment_id)
        theirs[key] = theirs.get(key, 0) + row.amount
    rows = []
    for (kind, ref), (payment, amount) in sorted(ours.items(), key=lambda kv: kv[0]):
        got = theirs.pop((kind, ref), None)
        result = (
            "missing-at-provider"
            if got is None
            else "matched"
            if got == amount
            else "amount-mismatch"
        )
        rows.append(_row(day, payment, kind, ref, amount, got, result))
    for (kind, ref), got in sorted(theirs.items()):
        payment = store.get_payment(ref) if kind == "payment" else None
        if payment is not None and (
            payment.dantai != dantai or (department and payment.department != department)
        ):
            continue  # another 団体's: its own file lists it
        if kind == "refund":
            continue  # refunds are keyed by refund id; one we do not hold is not ours to list
        rows.append(
            {
                "date": day,
                "dantai": dantai,
                "department": payment.department if payment else "",
                "kind": kind,
                "payment_id": ref,
                "refund_id": "",
                "description": payment.description if payment else "",
                "method": payment.method if payment else "",
                "our_amount": "",
                "provider_amount": got,
                "result": "missing-here",
            }
        )
    return rows


def _row(day, payment, kind, ref, amount, got, result):
    return {
        "date": day,
        "dantai": payment.dantai,
        "department": payment.department,
        "kind": kind,
        "payment_id": payment.id,
        "refund_id": ref if kind == "refund" else "",
        "description": payment.description,
        "method": payment.method,
        "our_amount": amount,
        "provider_amount": "" if got is None else got,
        "result": result,
    }


def read_reconciliation_query(query, staff):
    """(dantai, day, department) from ?dantai=&date=&department=; staff see their own
    department's rows (an admin may leave it out for the whole 団体)."""
    from ..domain.dantai import is_valid_code

    errors = []
    dantai = query.get("dantai", "")
    if not is_valid_code(dantai):
        errors.append(
            FieldError(
                "dantai",
                "団体コード（6桁）を指定してください",
                "dantai must be a 6-digit local government code",
            )
        )
    day = query.get("date", "")
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except (TypeError, ValueError):
        errors.append(
            FieldError(
                "date", "日付を 2026-12-03 の形で指定してください", "date must be YYYY-MM-DD"
            )
        )
    if errors:
        raise ValidationFailed(errors)
    department = query.get("department") or None
    if staff.role != "admin":
        department = department or staff.department
    authorize(staff, "export", dantai, department)
    return dantai, day, department


def reconciliation_csv(rows):
    """The rows as CSV, every cell neutralised against spreadsheet formulas (a payable's
    description is written by whoever made it)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, RECONCILIATION_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def settlement_rows(settings, day):
    """Every provider's settlement rows for a day (the ones configured)."""
    rows = []
    for name in {settings.card_provider, "payeasy"}:
        rows += providers.by_name(settings, name).settlement(day)
    return rows


# ---------------------------------------------------------------- tax notices from the tax office


NOTICE_COLUMNS = (
    "納付番号",
    "確認番号",
    "団体コード",
    "担当課",
    "税目",
    "年度",
    "期別",
    "金額",
    "納期限",
    "課税対象",
)


class NoticeFileError(ValueError):
    """A row of the tax office's file is wrong: `line: message`."""


def read_notice_rows(text, secret, dantai_codes, departments):
    """TaxNotices from the CSV the tax office exports (UTF-8, header row NOTICE_COLUMNS);
    every wrong row is reported as `line: message` and nothing is loaded."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in NOTICE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise NoticeFileError("1: 見出しの列が足りません: " + ", ".join(missing))
    found, problems, seen = [], [], set()
    for row in reader:
        line = reader.line_num
        number = (row["納付番号"] or "").strip()
        confirmation = (row["確認番号"] or "").strip()
        amount = (row["金額"] or "").strip()
        due = (row["納期限"] or "").strip()
        year = (row["年度"] or "").strip()
        problem = None
        if not (len(number) == 16 and number.isdigit()):
            problem = "納付番号は16桁の数字です"
        elif number in seen:
            problem = f"納付番号 {number} が2回あります"
        elif not (len(confirmation) == 6 and confirmation.isdigit()):
            problem = "確認番号は6桁の数字です"
        elif row["団体コード"] not in dantai_codes:
            problem = f"団体コード {row['団体コード']} は登録されていません"
        elif departments is not None and row["担当課"] not in departments:
            problem = f"担当課 {row['担当課']} は登録されていません"
        elif not (amount.isdigit() and int(amount) > 0):
            problem = "金額は1以上の整数（円）です"
        elif not year.isdigit():
            problem = "年度は西暦の数字です"
        else:
            try:
                datetime.strptime(due, "%Y-%m-%d")
            except ValueError:
                problem = "納期限は 2026-05-31 の形で書いてください"
        if problem:
            problems.append(f"{line}: {problem}")
            continue
        seen.add(number)
        found.append(
            TaxNotice(
                number=number,
                confirmation_hash=tokens.inquiry_hash(secret, number, confirmation),
                dantai=row["団体コード"],
                department=row["担当課"],
                tax=row["税目"].strip(),
                fiscal_year=int(year),
                period=row["期別"].strip(),
                amount=int(amount),
                due=due,
                subject=(row["課税対象"] or "").strip(),
            )
        )
    if problems:
        raise NoticeFileError("\n".join(problems))
    return found


def load_notices(store, notices):
    """(loaded, kept paid): a paid notice is never overwritten by the file."""
    loaded = kept = 0
    for notice in notices:
        due = datetime.strptime(notice.due, "%Y-%m-%d").replace(tzinfo=JST)
        expires = int(due.timestamp()) + NOTICE_DAYS_AFTER_DUE * 86400
        if store.save_notice(notice, expires):
            loaded += 1
        else:
            kept += 1
    return loaded, kept
