"""Residents' use cases: submit a comment or proposal, look up a receipt."""

import logging
from datetime import UTC, datetime
from urllib.parse import quote

from .. import tokens
from ..domain import Comment, Receipt
from ..errors import (
    CopyLinkInvalid,
    CopyUnavailable,
    InvalidToken,
    NotFound,
    StoreUnavailable,
    SuspectedBot,
)
from ..ids import format_receipt, new_id, new_receipt_number, parse_receipt
from ..store import mapping
from ..store.uow import Cancelled
from ..validation import validate_submission
from .intake import Draft, Intake

logger = logging.getLogger(__name__)
HONEYPOT = "website"  # a field people never see; bots fill it in


def _check_bot(raw, settings, now_epoch):
    if str(raw.get(HONEYPOT) or "").strip():
        raise SuspectedBot()
    ticket = raw.get("ticket")
    if ticket:  # set by the page's script; a form sent without script carries none
        age = tokens.ticket_age(settings.keys, ticket, now_epoch)
        if age is None or age < settings.min_fill_seconds or age > 86400:
            raise SuspectedBot()


def submit(store, consultation_id, raw, *, client, idempotency_key=None, now=None, mailer=None):
    """Accept a comment: (Receipt, replayed). Exactly one comment per Idempotency-Key."""
    settings = store.settings
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp())
    intake = Intake(
        store,
        consultation_id,
        idempotency_key,
        lambda record: Receipt(
            record["receipt"], consultation_id, record["comment_id"], record["created_at"]
        ),
        renumber={"comment", "receipt"},
    )
    consultation = store.get_consultation(consultation_id)
    if consultation is None:
        raise NotFound("consultation")
    _check_bot(raw, settings, epoch)
    submission = validate_submission(consultation, raw)
    digest = tokens.body_hash(submission.canonical())
    # before the window check: a retry at 17:00:30 of a comment accepted at 16:59:50
    # gets its receipt, not "closed" (the resident would think it was lost)
    record = intake.earlier()
    if record:
        return intake.answer_again(record, digest), True
    consultation.ensure_open(now)
    created_at = now.astimezone(UTC).isoformat(timespec="seconds")

    def draft():
        comment = Comment(
            id=new_id(),
            consultation_id=consultation_id,
            receipt=new_receipt_number(),
            answers=submission.answers,
            created_at=created_at,
            personal=submission.personal or None,
        )
        receipt = Receipt(comment.receipt, consultation_id, comment.id, created_at)
        items = [("comment", mapping.comment_to_item(comment))]
        if comment.personal:
            expires = epoch + settings.personal_data_days * 86400
            items.append(("personal", mapping.personal_to_item(comment, expires)))
        items.append(("receipt", mapping.receipt_to_item(receipt)))
        remembered = {
            "receipt": receipt.number,
            "comment_id": receipt.comment_id,
            "created_at": receipt.created_at,
        }
        return Draft(tuple(items), remembered, receipt)

    receipt, replayed = intake.receive(digest, draft, client=client, epoch=epoch)
    if replayed:
        return receipt, True
    logger.info("comment accepted consultation=%s", consultation_id)
    if mailer and submission.send_copy:
        _send_copy(store, mailer, consultation, receipt, submission, epoch)
    return receipt, False


COPY = "comment-copy"  # the purpose sealed into the link of the verification mail
COPY_SECONDS = 24 * 3600  # the link is valid for one day
COPY_PATH = "/api/publishing/comments/copy"


def _send_copy(store, mailer, consultation, receipt, submission, epoch):
    """The first step of "send me a copy": a mail asking the address to confirm itself, at
    most address_mail_limit per address and window.

    Anyone can type anyone's address into the form, so this mail holds only the prefecture's
    own words (what it is, the consultation's title, a link valid for a day): not the receipt
    number, not anything the sender wrote, not even their name. The copy itself is sent only
    when the link is followed (send_verified_copy). A failed count or mail never fails the
    submission."""
    settings = store.settings
    email = submission.personal["email"]
    try:
        with store.uow() as uow:
            mapping.count_request(
                uow,
                tokens.address_hash(settings.secret, email),
                epoch,
                settings.address_mail_limit,
                settings.rate_window_seconds,
                scope="copy-address",
            )
            uow.commit()
    except (Cancelled, StoreUnavailable):
        logger.info("comment copy not sent: address limit")
        return
    token = tokens.seal(
        settings.secret,
        COPY,
        {"c": consultation.id, "r": receipt.number, "e": email},
        now=epoch,
    )
    mailer.send(
        email,
        "【宮城県】ご意見の控えの送付先の確認",
        verification_text(consultation, f"{settings.site_url}{COPY_PATH}?token={quote(token)}"),
    )


def verification_text(consultation, url):
    lines = [
        "宮城県の意見募集の受付で、このメールアドレスに控えを送るよう依頼がありました。",
        "",
        f"意見募集: {consultation.title}",
        "",
        "控え（受付番号と受付日時）を受け取るには、24時間以内に次のリンクを開き、",
        "表示されるページのボタンを押してください。",
        url,
        "",
        "ご意見を送った覚えがない場合は、このメールを無視してください。",
        "控えは送られず、これ以上メールは届きません。",
        "",
        "このメールは送信専用です。お問い合わせは担当課までお願いします。",
        "宮城県",
    ]
    return "\n".join(lines) + "\n"


def read_copy_link(store, token, now=None):
    """(Receipt, Consultation, address) of a verification link, or InvalidToken: forged,
    altered, sealed for another purpose, older than a day, or naming a receipt that is not
    that consultation's."""
    current = (now or datetime.now(UTC)).timestamp()
    try:
        data = tokens.unseal(store.settings.keys, COPY, token, COPY_SECONDS, current)
    except InvalidToken:
        raise CopyLinkInvalid() from None
    receipt = store.get_receipt(str(data.get("r") or ""))
    email = data.get("e")
    if receipt is None or receipt.consultation_id != data.get("c") or not isinstance(email, str):
        raise CopyLinkInvalid()
    consultation = store.get_consultation(receipt.consultation_id)
    if consultation is None:
        raise CopyLinkInvalid()
    return receipt, consultation, email


def send_verified_copy(store, mailer, token, now=None):
    """Send the copy to the address the link has just verified: (Receipt, sent). Exactly once
    per receipt: a conditional write on the receipt marks it first, so a reload, a retry or
    a second click finds the mark and sends nothing (sent is False). A failed mail takes
    the mark back, so the resident can try the link again."""
    receipt, consultation, email = read_copy_link(store, token, now)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    key = mapping.receipt_key(receipt.number)
    try:
        with store.uow() as uow:
            uow.update(
                key,
                "SET copy_sent_at = :t",
                condition="attribute_exists(pk) AND attribute_not_exists(copy_sent_at)",
                values={":t": stamp},
                label="copy",
            )
            uow.commit()
    except Cancelled as cancelled:
        if "copy" in cancelled.failed:
            logger.info("comment copy: already sent")
            return receipt, False
        raise StoreUnavailable() from None
    if mailer is None or not mailer.send(
        email,
        f"【宮城県】ご意見を受け付けました（受付番号 {receipt.display}）",
        confirmation_text(consultation, receipt),
    ):
        with store.uow() as uow:
            uow.update(key, "REMOVE copy_sent_at", label="copy")
            uow.commit()
        raise CopyUnavailable()
    logger.info("comment copy sent consultation=%s", receipt.consultation_id)
    return receipt, True


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


__all__ = [
    "submit",
    "find_receipt",
    "format_receipt",
    "read_copy_link",
    "send_verified_copy",
    "HONEYPOT",
]
