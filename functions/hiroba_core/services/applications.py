"""Applications (電子申請): apply, ask for the status (申請状況の照会), and the staff's list and
status changes. One function per use case; the routes only translate HTTP.

The 問合せ番号 (inquiry code) is shown once, when the application is received, and stored
only as a keyed hash (tokens.inquiry_hash). Without an Idempotency-Key it is random; with
one it is derived from the secret, the key and the reference number, so a replay of the same
request can show the same code again without it ever being stored.
"""

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from .. import tokens
from ..access import authorize, may
from ..domain import Application
from ..domain.application import LABELS, NEEDS_APPROVAL, ApplicationStatus, next_statuses
from ..domain.procedure import Procedure, check
from ..errors import (
    ApprovalRequired,
    FieldError,
    InquiryNotMatched,
    InvalidToken,
    NotFound,
    RateLimited,
    StoreUnavailable,
    ValidationFailed,
    VersionConflict,
)
from ..ids import (
    ALPHABET,
    INQUIRY_CODE_LENGTH,
    format_inquiry_code,
    format_reference,
    new_inquiry_code,
    new_reference,
    parse_inquiry_code,
    parse_reference,
)
from ..signatures import intake as signed_files
from ..store import mapping
from ..store import procedures as items
from ..store.uow import Cancelled
from ..validation import normalize
from .intake import Draft, Intake

logger = logging.getLogger(__name__)
MAX_NOTE = 1000
_NO_APPLICATION = "0" * 64  # compared against when the reference is unknown: same work
PAYMENT_LABELS = {
    "not-required": ("手数料はかかりません", "No fee"),
    "unpaid": ("未納", "Not paid"),
    "paid": ("納付済", "Paid"),
}


def _now(now):
    now = now or datetime.now(UTC)
    return now, int(now.timestamp()), now.astimezone(UTC).isoformat(timespec="seconds")


def _inquiry_code(secret, reference, idempotency_key):
    if not idempotency_key:
        return new_inquiry_code()
    return tokens.derived_code(
        secret,
        "inquiry-code",
        f"{reference}\n{idempotency_key}",
        ALPHABET,
        INQUIRY_CODE_LENGTH,
    )


def _replayed_code(store, reference, idempotency_key):
    """The 問合せ番号 the first answer gave: derived with the key that was current then,
    which after a rotation is a previous one (the current key would give a code that
    matches nothing stored)."""
    application = store.get_application(reference)
    for secret in store.settings.keys:
        code = _inquiry_code(secret, reference, idempotency_key)
        if application and tokens.matches(
            application.inquiry_hash, tokens.inquiry_hash(secret, reference, code)
        ):
            return code
    return _inquiry_code(store.settings.secret, reference, idempotency_key)


@dataclass(frozen=True)
class Accepted:
    """What the applicant is told once: the 到達番号 and the 問合せ番号."""

    reference: str
    inquiry_code: str
    procedure: Procedure
    received_at: str
    fee: int

    def as_dict(self):
        ja, en = LABELS[ApplicationStatus.RECEIVED]
        return {
            "reference": format_reference(self.reference),
            "inquiry_code": format_inquiry_code(self.inquiry_code),
            "procedure": self.procedure.as_dict(),
            "status": ApplicationStatus.RECEIVED.value,
            "status_label": ja,
            "status_label_en": en,
            "received_at": self.received_at,
            "fee": self.fee,
        }


def _procedure(catalogue, raw):
    pid = raw.get("procedure")
    if not isinstance(pid, str) or not pid.strip():
        error = FieldError("procedure", "申請する手続を選んでください", "Choose the procedure")
    elif pid not in catalogue:
        error = FieldError(
            "procedure",
            "この手続は電子申請で受け付けていません。手続の一覧から選んでください",
            "This procedure cannot be applied for online; choose one from the list",
        )
    else:
        return catalogue[pid]
    raise ValidationFailed([error])


def submit(
    store, catalogue, raw, *, client, idempotency_key=None, now=None, trust=None, contact=None
):
    """Receive an application: (Accepted, replayed). Exactly one per Idempotency-Key.
    A procedure with `signature = true` needs raw["signature"] (signatures.intake) to
    verify against `trust` (None: nothing is trusted); the signer is recorded with the
    applicant's data. `contact` is the address the online form verified (services.apply):
    kept with the applicant's data as the one address receipts and notices go to."""
    settings = store.settings
    now, epoch, received_at = _now(now)
    intake = Intake(
        store,
        items.IDEMPOTENCY_SCOPE,
        idempotency_key,
        lambda record: Accepted(
            record["reference"],
            _replayed_code(store, record["reference"], idempotency_key),
            catalogue[record["procedure_id"]],
            record["received_at"],
            int(record["fee"]),
        ),
        rate_scope="intake",
        renumber={"application", "applicant"},
    )
    procedure = _procedure(catalogue, raw)
    record = intake.earlier()
    if record:
        # checked as of the first receipt: a date "from tomorrow" sent at 23:59 and
        # retried after midnight is still the same request, answered the same way
        first = _with_contact(
            check(procedure, raw, datetime.fromisoformat(record["received_at"])), contact
        )
        return intake.answer_again(record, tokens.body_hash(first.canonical())), True
    checked = _with_contact(check(procedure, raw, now), contact)
    digest = tokens.body_hash(checked.canonical())
    if procedure.signature:
        verdict = signed_files.require(raw, trust)
        checked.applicant = {**checked.applicant, "signed_by": signed_files.signed_by(verdict)}
    fee = procedure.fee_for(checked.answers)

    def draft():
        reference = new_reference()
        code = _inquiry_code(settings.secret, reference, idempotency_key)
        application = Application(
            reference=reference,
            procedure_id=procedure.id,
            department=procedure.department,
            dantai=procedure.dantai,
            received_at=received_at,
            answers=checked.answers,
            fee=fee,
            inquiry_hash=tokens.inquiry_hash(settings.secret, reference, code),
            applicant=checked.applicant,
        )
        written = [("application", items.application_to_item(application))]
        if checked.applicant or checked.answers:  # what the applicant wrote expires
            expires = epoch + procedure.retention_days * 86400
            written.append(("applicant", items.applicant_to_item(application, expires)))
        accepted = Accepted(reference, code, procedure, received_at, fee)
        return Draft(tuple(written), items.remembered(application), accepted)

    accepted, replayed = intake.receive(digest, draft, client=client, epoch=epoch)
    if not replayed:
        logger.info("application received procedure=%s", procedure.id)
    return accepted, replayed


def _with_contact(checked, contact):
    if contact:
        checked.applicant = {**checked.applicant, "contact": contact}
    return checked


# ---------------------------------------------------------------- 申請状況の照会


# field -> (parser, Japanese name, English name, length, example as the forms show it)
_NUMBERS = {
    "reference": (parse_reference, "到達番号", "reference number", 12, "ACEF-GHJK-MNPR"),
    "inquiry_code": (parse_inquiry_code, "問合せ番号", "inquiry code", 10, "ACEFG-HJKMN"),
}


def read_inquiry(raw):
    """(reference, code) from the form or JSON fields `reference` and `inquiry_code`, or
    ValidationFailed (field names as in the form)."""
    errors, found = [], []
    for name, (parse, ja, en, length, example) in _NUMBERS.items():
        text = raw.get(name)
        value = parse(text)
        if not normalize(text if isinstance(text, str) else ""):
            errors.append(FieldError(name, f"{ja}を入力してください", f"Enter the {en}"))
        elif value is None:
            errors.append(
                FieldError(
                    name,
                    f"{ja}は、申請したときに表示された英数字{length}文字（例: {example}）を入力してください",
                    f"Enter the {length}-character {en} you were given, like {example}",
                )
            )
        found.append(value)
    if errors:
        raise ValidationFailed(errors)
    return tuple(found)


def _count_inquiry(store, client, epoch):
    settings = store.settings
    client_hash = tokens.client_hash(settings.secret, client)
    for attempt in range(4):
        with store.uow() as uow:
            retry_after = mapping.count_request(
                uow,
                client_hash,
                epoch,
                settings.inquiry_rate_limit,
                settings.rate_window_seconds,
                scope="inquiry",
            )
            try:
                uow.commit()
                return
            except Cancelled as cancelled:
                if "rate" in cancelled.failed:
                    raise RateLimited(retry_after) from None
                time.sleep(0.02 * (attempt + 1))  # another inquiry of this client at once
    raise StoreUnavailable()


def inquire(store, catalogue, raw, *, client, now=None):
    """(Application without applicant, Procedure or None) for a reference number and its
    inquiry code. Every attempt counts against the client's limit; a wrong reference and a
    wrong code are the same InquiryNotMatched, and the code is compared in constant time."""
    _, epoch, _ = _now(now)
    reference, code = read_inquiry(raw)
    _count_inquiry(store, client, epoch)
    application = store.get_application(reference)
    expected = application.inquiry_hash if application else _NO_APPLICATION
    matched = tokens.inquiry_matches(store.settings.keys, expected, reference, code)
    if not matched or application is None:
        raise InquiryNotMatched()
    return application, catalogue.get(application.procedure_id)


def _labelled(status):
    ja, en = LABELS[ApplicationStatus(status)]
    return {"status": ApplicationStatus(status).value, "status_label": ja, "status_label_en": en}


def _procedure_view(application, procedure):
    if procedure is None:
        return {"id": application.procedure_id, "title": application.procedure_id, "title_en": ""}
    return procedure.as_dict()


def inquiry_view(application, procedure, document_days=None):
    """What the applicant may see: status, dates, fee, and the issued document's download
    period when there is one. No applicant data, no staff notes."""
    payment = "not-required"
    if application.fee:
        payment = "paid" if application.paid_payment else "unpaid"
    view = {
        "reference": format_reference(application.reference),
        "procedure": _procedure_view(application, procedure),
        **_labelled(application.status),
        "received_at": application.received_at,
        "updated_at": application.updated_at,
        "history": [{**_labelled(c.status), "at": c.at} for c in application.history],
        "fee": application.fee,
        "payment": payment,
        "payment_label": PAYMENT_LABELS[payment][0],
        "payment_label_en": PAYMENT_LABELS[payment][1],
    }
    if document_days is not None and procedure is not None and procedure.issues:
        from ..signatures.templates import TEMPLATES
        from .documents import available_until

        until = available_until(application, procedure, document_days)
        template = TEMPLATES[procedure.issues]
        view["document"] = {
            "title": template.title,
            "title_en": template.title_en,
            "issued": until is not None,
            "available_until": until.isoformat(timespec="seconds") if until else None,
        }
    return view


# ---------------------------------------------------------------- staff


def staff_view(application, with_applicant=False):
    data = {
        "reference": format_reference(application.reference),
        "procedure_id": application.procedure_id,
        **_labelled(application.status),
        "version": application.version,
        "received_at": application.received_at,
        "updated_at": application.updated_at,
        "fee": application.fee,
        "answers": application.answers,
        "history": [{**_labelled(c.status), **c.as_dict()} for c in application.history],
        "next_statuses": [s.value for s in next_statuses(application.status)],
    }
    if with_applicant:
        data["applicant"] = application.applicant or {}
    return data


MAX_PAGE = 500


def _page_size(text):
    if text is None:
        return 100
    if isinstance(text, str) and text.isdigit() and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    raise ValidationFailed(
        [
            FieldError(
                "limit",
                f"一度に読む件数（limit）は1から{MAX_PAGE}までの数にしてください",
                f"limit must be a whole number from 1 to {MAX_PAGE}",
            )
        ]
    )


def list_applications(store, catalogue, procedure_id, staff, *, cursor=None, limit=None, now=None):
    """(Procedure, applications with what the applicants wrote, next cursor) for staff of
    the procedure's department, a page at a time (oldest first; `cursor` continues)."""
    if not isinstance(procedure_id, str) or not procedure_id.strip():
        raise ValidationFailed(
            [FieldError("procedure", "手続のIDを指定してください", "Give the procedure id")]
        )
    size = _page_size(limit)
    if cursor is not None and not re.fullmatch(r"[\x21-\x7e]{1,100}", str(cursor)):
        raise ValidationFailed(
            [
                FieldError(
                    "cursor",
                    "cursor には、前の一覧の next_cursor をそのまま指定してください",
                    "cursor must be the next_cursor of the previous page, unchanged",
                )
            ]
        )
    procedure = catalogue.get(procedure_id)
    if procedure is None:
        raise NotFound("procedure")
    authorize(staff, "view_personal", procedure.dantai, procedure.department)
    _, epoch, _ = _now(now)
    found, next_cursor = store.list_applications(
        procedure_id, now_epoch=epoch, after=cursor or "", limit=size
    )
    # the same rule as a status change: staff act for the department that received it
    found = [a for a in found if may(staff, "view_personal", a.owner, a.department)]
    return procedure, found, next_cursor


def _status_change(raw):
    errors = []
    status = raw.get("status")
    if not isinstance(status, str) or status not in {s.value for s in ApplicationStatus}:
        errors.append(
            FieldError(
                "status",
                "変更後の状態を "
                + "・".join(s.value for s in ApplicationStatus)
                + " から選んでください",
                "Choose the new status: " + ", ".join(s.value for s in ApplicationStatus),
            )
        )
    version = raw.get("version")
    if not (type(version) is int and version >= 1):
        errors.append(
            FieldError(
                "version",
                "読み込んだときの版の番号（version）を指定してください",
                "Give the version you read (an integer from 1)",
            )
        )
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        errors.append(FieldError("note", "メモは文字で入力してください", "The note must be text"))
        note = ""
    note = normalize(note, multiline=True)
    if len(note) > MAX_NOTE:
        errors.append(
            FieldError(
                "note",
                f"メモは{MAX_NOTE}文字以内で入力してください",
                f"The note must be {MAX_NOTE} characters or fewer",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return status, version, note


def _for_staff(store, reference_text, staff, permission, now=None):
    """The application (with what the applicant wrote) if `staff` may `permission` it."""
    reference = parse_reference(reference_text) if isinstance(reference_text, str) else None
    _, epoch, _ = _now(now)
    application = store.get_application_for_staff(reference, epoch) if reference else None
    if application is None:
        raise NotFound("application")
    authorize(staff, permission, application.owner, application.department)
    return application


def application_for_staff(store, reference_text, staff, audit=None, now=None):
    """One application with the applicant's data, for any role of its department; the
    view of personal data is recorded (`audit(uow, action, target, detail)`)."""
    application = _for_staff(store, reference_text, staff, "view_personal", now)
    if audit is not None:
        with store.uow() as uow:
            audit(uow, "view-personal", format_reference(application.reference), "")
            uow.commit()
    return application


def audited(audit, action, target, detail):
    """`audit` (the console's hook, or None) bound to one record, for the store to add to
    the transaction of the change it audits."""
    return None if audit is None else (lambda uow: audit(uow, action, target, detail))


def change_status(store, reference_text, staff, raw, now=None, audit=None, issuer=None):
    """Move an application to a new status: only staff of its department, only from the
    version they read, only along TRANSITIONS; the change is appended to the history.
    完了 and 却下 are not changes but proposals (propose / approve: the two-person rule).
    On 完了, `issuer` (services.documents.Issuer) issues the procedure's document first:
    if it cannot, nothing changes."""
    status, version, note = _status_change(raw)
    _, _, at = _now(now)
    application = _for_staff(store, reference_text, staff, "change", now)
    if application.check_transition(status) in NEEDS_APPROVAL:
        raise ApprovalRequired()
    if version != application.version:
        raise VersionConflict()
    old_status, old_version = application.status, application.version
    change = application.transition(status, at, by=staff.subject, note=note)
    if issuer is not None and application.status == ApplicationStatus.COMPLETED:
        issuer(application)  # before the commit: a document that cannot be signed changes nothing
    store.save_change(
        application,
        old_status,
        old_version,
        change,
        audit=audited(
            audit,
            "correction" if status == ApplicationStatus.RETURNED else "change",
            format_reference(application.reference),
            f"{old_status.value} → {status}",
        ),
    )
    logger.info("application status changed to %s", application.status.value)
    return application


def propose(store, reference_text, staff, raw, now=None, audit=None):
    """Propose 完了 or 却下 (staff of the department): an approver decides it."""
    status, version, note = _status_change(raw)
    _, _, at = _now(now)
    application = _for_staff(store, reference_text, staff, "propose", now)
    if version != application.version:
        raise VersionConflict()
    old_version = application.version
    application.propose(status, at, by=staff.subject, by_name=staff.username, note=note)
    store.save_proposal(
        application,
        old_version,
        audit=audited(audit, "propose", format_reference(application.reference), status),
    )
    return application


def approve(store, reference_text, staff, raw, now=None, audit=None, issuer=None):
    """Approve the proposal (an approver or admin who did not propose it): the status
    changes, with the proposer's and the approver's notes in the history. On 完了,
    `issuer` (services.documents.Issuer) issues the procedure's document first: if it
    cannot, nothing changes."""
    _, version, note = _status_change({**raw, "status": ApplicationStatus.COMPLETED.value})
    _, _, at = _now(now)
    application = _for_staff(store, reference_text, staff, "approve", now)
    if version != application.version:
        raise VersionConflict()
    proposer = (application.proposal or {}).get("by", "")
    old_status, old_version = application.status, application.version
    change = application.approve(at, by=staff.subject, note=note)
    if issuer is not None and application.status == ApplicationStatus.COMPLETED:
        issuer(application)
    store.save_decision(
        application,
        old_status,
        old_version,
        change,
        proposer,
        audit=audited(
            audit, "approve", format_reference(application.reference), change.status.value
        ),
    )
    return application


# ---------------------------------------------------------------- 補正依頼 (corrections)

CORRECTION_PURPOSE = "application-correction"
CORRECTION_DAYS = 14  # how long the link in the mail works
MAX_CORRECTION = 2000


def request_correction(store, reference_text, staff, raw, *, mailer, now=None, audit=None):
    """補正依頼: the application goes back to the applicant (in_review → returned) with what
    to correct, mailed to the applicant's address with a link to correct it (sealed: the
    reference and the version it may correct, valid CORRECTION_DAYS)."""
    text = normalize(raw.get("note") if isinstance(raw.get("note"), str) else "", multiline=True)
    version = raw.get("version")
    errors = []
    if not text or len(text) > MAX_CORRECTION:
        errors.append(
            FieldError(
                "note",
                f"補正してほしい内容を{MAX_CORRECTION}文字以内で入力してください",
                f"Say what to correct, in {MAX_CORRECTION} characters or fewer",
            )
        )
    if not (type(version) is int and version >= 1):
        errors.append(
            FieldError("version", "読み込んだときの版の番号を指定してください", "Give the version")
        )
    if errors:
        raise ValidationFailed(errors)
    now_dt, epoch, at = _now(now)
    application = _for_staff(store, reference_text, staff, "change", now)
    address = (application.applicant or {}).get("email")
    if not address:
        raise ValidationFailed(
            [
                FieldError(
                    "note",
                    "申請者のメールアドレスがないため、補正依頼をメールで送れません。電話などで連絡してください",
                    "The applicant gave no email address; contact them another way",
                )
            ]
        )
    if version != application.version:
        raise VersionConflict()
    old_status, old_version = application.status, application.version
    change = application.transition(ApplicationStatus.RETURNED, at, by=staff.subject, note=text)
    store.save_change(
        application,
        old_status,
        old_version,
        change,
        audit=audited(
            audit, "correction", format_reference(application.reference), "in_review → returned"
        ),
    )
    token = tokens.seal(
        store.settings.keys,
        CORRECTION_PURPOSE,
        {"r": application.reference, "v": application.version},
        now=epoch,
    )
    link = f"{store.settings.site_url}/api/procedures/corrections?token={token}"
    body = (
        f"申請（到達番号 {format_reference(application.reference)}）について、"
        "担当課から補正（内容の修正）のお願いがあります。\n\n"
        f"■ 補正してほしい内容\n{text}\n\n"
        f"次のリンクから、同じ申請の内容を修正して送信してください（{CORRECTION_DAYS}日間有効です）。\n"
        f"{link}\n\n"
        "このメールに心当たりがない場合は、破棄してください。\n"
    )
    sent = mailer.send(address, "【宮城県】申請の補正のお願い", body)
    logger.info("correction requested mail_sent=%s", bool(sent))
    return application, bool(sent)


def correction_for(store, catalogue, token, now=None):
    """(application with its answers, procedure, what to correct) for a correction link:
    InvalidToken when forged, expired, or the application is no longer waiting for it."""
    _, epoch, _ = _now(now)
    data = tokens.unseal(
        store.settings.keys, CORRECTION_PURPOSE, token, CORRECTION_DAYS * 86400, epoch
    )
    application = store.get_application_for_staff(data.get("r", ""), epoch)
    if (
        application is None
        or application.status != ApplicationStatus.RETURNED
        or application.version != data.get("v")
        or application.applicant is None
    ):
        raise InvalidToken()
    procedure = catalogue.get(application.procedure_id)
    if procedure is None:
        raise InvalidToken()
    return application, procedure, application.history[-1].note


def correct(store, catalogue, token, raw, now=None):
    """The applicant's corrected answers come back into the same application, which goes
    back to review (returned → in_review, by the applicant); the link works once."""
    now_dt, epoch, at = _now(now)
    application, procedure, _ = correction_for(store, catalogue, token, now)
    answers = raw.get("answers") if isinstance(raw.get("answers"), dict) else {}
    intake = check(procedure, {"applicant": application.applicant, "answers": answers}, now_dt)
    old_status, old_version = application.status, application.version
    application.answers = intake.answers
    change = application.transition(ApplicationStatus.IN_REVIEW, at, note="申請者が補正しました")
    try:
        store.save_correction(application, old_status, old_version, change)
    except VersionConflict:
        raise InvalidToken() from None  # corrected already (the link works once)
    logger.info("application corrected")
    return application
