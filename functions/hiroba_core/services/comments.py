"""Residents' use cases: submit a comment or proposal, look up a receipt."""

import logging
import time
from datetime import UTC, datetime

from .. import tokens
from ..domain import Comment, Receipt
from ..errors import (
    IdempotencyConflict,
    NotFound,
    RateLimited,
    StoreUnavailable,
    SuspectedBot,
)
from ..ids import format_receipt, new_id, new_receipt_number, parse_receipt
from ..store import mapping
from ..store.uow import Cancelled
from ..validation import check_idempotency_key, validate_submission

logger = logging.getLogger(__name__)
HONEYPOT = "website"  # a field people never see; bots fill it in
IDEMPOTENCY_TTL = 24 * 3600


def _check_bot(raw, settings, now_epoch):
    if str(raw.get(HONEYPOT) or "").strip():
        raise SuspectedBot()
    ticket = raw.get("ticket")
    if ticket:  # set by the page's script; a form sent without script carries none
        age = tokens.ticket_age(settings.keys, ticket, now_epoch)
        if age is None or age < settings.min_fill_seconds or age > 86400:
            raise SuspectedBot()


def _replay(record, digest, consultation_id):
    if record["body_hash"] != digest:
        raise IdempotencyConflict()
    return Receipt(record["receipt"], consultation_id, record["comment_id"], record["created_at"])


def submit(store, consultation_id, raw, *, client, idempotency_key=None, now=None, mailer=None):
    """Accept a comment: (Receipt, replayed). Exactly one comment per Idempotency-Key."""
    settings = store.settings
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp())
    check_idempotency_key(idempotency_key)
    consultation = store.get_consultation(consultation_id)
    if consultation is None:
        raise NotFound("consultation")
    _check_bot(raw, settings, epoch)
    submission = validate_submission(consultation, raw)
    digest = tokens.body_hash(submission.canonical())
    if idempotency_key:
        # before the window check: a retry at 17:00:30 of a comment accepted at 16:59:50
        # gets its receipt, not "closed" (the resident would think it was lost)
        record = store.get_idempotency(consultation_id, idempotency_key)
        if record:
            return _replay(record, digest, consultation_id), True
    consultation.ensure_open(now)
    client_hash = tokens.client_hash(settings.secret, client)
    created_at = now.astimezone(UTC).isoformat(timespec="seconds")
    for attempt in range(8):
        comment = Comment(
            id=new_id(),
            consultation_id=consultation_id,
            receipt=new_receipt_number(),
            answers=submission.answers,
            created_at=created_at,
            personal=submission.personal or None,
        )
        receipt = Receipt(comment.receipt, consultation_id, comment.id, created_at)
        with store.uow() as uow:
            uow.put_new(mapping.comment_to_item(comment), label="comment")
            if comment.personal:
                expires = epoch + settings.personal_data_days * 86400
                uow.put_new(mapping.personal_to_item(comment, expires), label="personal")
            uow.put_new(mapping.receipt_to_item(receipt), label="receipt")
            if idempotency_key:
                uow.put_new(
                    mapping.idempotency_to_item(
                        consultation_id, idempotency_key, digest, receipt, epoch + IDEMPOTENCY_TTL
                    ),
                    label="idempotency",
                )
            retry_after = mapping.count_request(
                uow, client_hash, epoch, settings.rate_limit, settings.rate_window_seconds
            )
            try:
                uow.commit()
            except Cancelled as cancelled:
                if idempotency_key and ("idempotency" in cancelled.failed or cancelled.conflict):
                    record = store.get_idempotency(consultation_id, idempotency_key)
                    if record:
                        return _replay(record, digest, consultation_id), True
                if "rate" in cancelled.failed:
                    raise RateLimited(retry_after) from None
                if cancelled.failed - {"receipt", "comment"}:
                    raise
                time.sleep(0.02 * attempt)  # a receipt number or id taken, or a conflict
                continue
        logger.info("comment accepted consultation=%s", consultation_id)
        if mailer and submission.send_copy:
            _send_copy(store, mailer, consultation, receipt, submission, epoch)
        return receipt, False
    raise StoreUnavailable()


def _send_copy(store, mailer, consultation, receipt, submission, epoch):
    """The "send me a copy" mail, at most address_mail_limit per address and window.

    Anyone can type anyone's address into the form, and that address has not been verified,
    so the mail holds only the prefecture's own words (the consultation's title, the receipt
    number and time): nothing the sender wrote, not even their name, reaches a third party's
    inbox under the prefecture's name. A failed count or mail never fails the submission."""
    settings = store.settings
    try:
        with store.uow() as uow:
            mapping.count_request(
                uow,
                tokens.address_hash(settings.secret, submission.personal["email"]),
                epoch,
                settings.address_mail_limit,
                settings.rate_window_seconds,
                scope="copy-address",
            )
            uow.commit()
    except (Cancelled, StoreUnavailable):
        logger.info("comment copy not sent: address limit")
        return
    mailer.send(
        submission.personal["email"],
        f"【宮城県】ご意見を受け付けました（受付番号 {receipt.display}）",
        confirmation_text(consultation, receipt),
    )


def confirmation_text(consultation, receipt):
    lines = [
        "宮城県の意見募集に、ご意見をお寄せいただき、ありがとうございました。",
        "",
        f"件名: {consultation.title}",
        f"受付番号: {receipt.display}",
        f"受付日時: {receipt.created_at}",
        "",
        "お送りいただいた内容は、受付番号とあわせて担当課が確認します。",
        "このメールには、お送りいただいた内容は載せていません。",
        "お申し込みに心当たりがない場合は、このメールを破棄してください。",
        "",
        "このメールは送信専用です。お問い合わせは担当課までお願いします。",
        "宮城県",
    ]
    return "\n".join(lines) + "\n"


def find_receipt(store, text):
    """(Receipt, Consultation) for a receipt number as typed, or NotFound."""
    number = parse_receipt(text)
    receipt = store.get_receipt(number) if number else None
    if receipt is None:
        raise NotFound("receipt")
    return receipt, store.get_consultation(receipt.consultation_id)


__all__ = ["submit", "find_receipt", "format_receipt", "HONEYPOT"]
