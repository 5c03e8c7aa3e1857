"""電子申請 for residents: the online form, from a verified e-mail address to the arrival
number (到達番号). One function per step; the routes (functions/procedures/chalicelib/
routes/apply.py) only translate HTTP, and every function takes `now` (the clock is the
caller's, so tests set it).

    start      e-mail address -> a draft and a six-digit code (and a link) by mail
    verify_*   the code, or the link's token -> the draft may be filled in
    open_step / save_step   one page of the form (domain/draft.py `steps`)
    review     確認画面: every answer, re-checked with procedure.check
    submit     through applications.submit (the JSON intake) with an Idempotency-Key
               derived from the draft: a double click or a retry makes one application
    save_for_later / resume  「一時保存」: a sealed link, valid 7 days, by mail

A draft belongs to one procedure and so to its 団体: used under another procedure's URL it
is NotFound (404), as an application of another 団体 is to staff.
"""

import contextlib
import hashlib
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from .. import tokens
from ..dates import format_jst
from ..domain import draft as drafts
from ..domain.draft import Draft, form_name, label_of, steps
from ..domain.procedure import AGENT, check
from ..errors import (
    DraftGone,
    FieldError,
    InvalidToken,
    MailUnavailable,
    NotFound,
    RateLimited,
    ResumeLinkInvalid,
    ValidationFailed,
)
from ..ids import format_inquiry_code, format_reference
from ..store import mapping
from ..store.procedures import DraftChanged
from ..store.uow import Cancelled
from ..validation import is_email, normalize
from . import applications, attachments

logger = logging.getLogger(__name__)
API = "/api/procedures/apply"
STATUS_PAGE = "/procedures/status/"
VERIFY, RESUME = "apply-verify", "apply-resume"  # the sealed links' purposes
CODE_DIGITS = 6


def base(procedure_id):
    """The form's URL path for a procedure (what the routes serve, behind /api/procedures)."""
    return f"{API}/{procedure_id}"


def procedure_of(catalogue, procedure_id):
    procedure = catalogue.get(procedure_id)
    if procedure is None or procedure.signature:
        # a procedure that needs an electronic signature is applied for with a signed file
        # (the JSON intake), not with this form
        raise NotFound("procedure")
    return procedure


def idempotency_key(draft_id):
    """The Idempotency-Key of the draft's submission: the same for every click and retry,
    unguessable without the draft's id."""
    return "draft-" + hashlib.sha256(f"apply-submit:{draft_id}".encode()).hexdigest()[:40]


def _epoch(now):
    return int(now.timestamp())


def _field(name, ja, en):
    return ValidationFailed([FieldError(name, ja, en)])


# ---------------------------------------------------------------- e-mail address first


def _email(raw):
    text = normalize(raw.get("email") if isinstance(raw.get("email"), str) else "")
    if not text:
        raise _field("email", "メールアドレスを入力してください", "Enter your email address")
    if not is_email(text):
        raise _field(
            "email",
            "メールアドレスを name@example.jp のような形で入力してください",
            "Enter an email address in the correct format, like name@example.jp",
        )
    return text


def _new_code():
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _count(settings, subject, scope, limit, now, label):
    """A rate counter written with the draft (store.create_draft / save_draft's uow)."""
    return lambda uow: mapping.count_request(
        uow, subject, _epoch(now), limit, settings.rate_window_seconds, scope=scope, label=label
    )


def _retry_after(settings, now):
    window = settings.rate_window_seconds
    return max(1, window - _epoch(now) % window)


def start(store, catalogue, procedure_id, raw, *, client, mailer, now):
    """A new draft for `procedure_id` under the address in raw["email"], its code mailed:
    the Draft (its id goes into the resident's cookie). Drafts started per client and codes
    mailed per address are limited per rate window."""
    procedure = procedure_of(catalogue, procedure_id)
    email = _email(raw)
    if mailer is None:
        raise MailUnavailable()  # no address can be verified without mail
    settings = store.settings
    code = _new_code()
    draft_id = secrets.token_urlsafe(32)
    draft = Draft(
        id=draft_id,
        procedure_id=procedure.id,
        dantai=procedure.dantai,
        email=email,
        code_hash=tokens.code_hash(settings.secret, draft_id, code),
        deadline=now + drafts.NAVIGATION,
        sent_at=now,
    )
    rate = (
        _count(
            settings,
            tokens.client_hash(settings.secret, client),
            "apply-start",
            settings.rate_limit,
            now,
            "client",
        ),
        _count(
            settings,
            tokens.address_hash(settings.secret, email),
            "apply-mail",
            settings.address_mail_limit,
            now,
            "address",
        ),
    )
    try:
        store.create_draft(draft, rate)
    except Cancelled as cancelled:
        if cancelled.failed & {"client", "address"}:
            raise RateLimited(_retry_after(settings, now)) from None
        raise
    _mail_code(store.settings, mailer, procedure, draft, code)
    logger.info("application draft started procedure=%s", procedure.id)
    return draft


def _mail_code(settings, mailer, procedure, draft, code):
    token = tokens.seal(settings.keys, VERIFY, {"d": draft.id}, now=_epoch(draft.sent_at))
    link = f"{settings.site_url}{base(procedure.id)}/verify?token={quote(token)}"
    text = "\n".join(
        [
            f"「{procedure.title}」の電子申請で、メールアドレスの確認のためにお送りしています。",
            "",
            f"確認コード: {code}",
            "",
            "申請の画面にこの6桁の確認コードを入力してください。",
            "次のリンクを開いて、表示されるページのボタンを押しても確認できます。",
            link,
            "",
            f"確認コードとリンクは {format_jst(draft.deadline)} まで有効です。",
            "申請の受付の控えと、その後のお知らせは、このメールアドレスにお送りします。",
            "",
            "申請した覚えがない場合は、このメールを破棄してください。",
            "",
            "This is your code to verify your email address for an online application to",
            f"Miyagi ({procedure.title_en}): {code}",
            "",
            "このメールは送信専用です。 / This address does not receive replies.",
        ]
    )
    if not mailer.send(draft.email, f"【宮城県 電子申請】確認コード {code}", text):
        raise MailUnavailable()


def _load(store, procedure, draft_id, now):
    """The draft behind the cookie for this procedure, or why not (DraftGone, NotFound)."""
    draft = store.get_draft(draft_id) if draft_id else None
    if draft is None:
        raise DraftGone("missing")
    if draft.procedure_id != procedure.id or draft.dantai != procedure.dantai:
        raise NotFound("draft")  # another procedure's (another 団体's) draft: not here
    if draft.expired(now):
        store.erase_draft(draft_id, _epoch(now))  # TTL would, in days; the rule is the deadline
        raise DraftGone("timeout")
    if draft.state == drafts.SUBMITTED:
        raise DraftGone("submitted")
    return draft


def _open(store, catalogue, procedure_id, draft_id, now, *, on_form=False, verified=True):
    procedure = procedure_of(catalogue, procedure_id)
    draft = _load(store, procedure, draft_id, now)
    if verified and not draft.verified:
        raise NotFound("draft")  # the code page comes first
    if draft.state == drafts.SAVED_STATE:
        draft.state = drafts.FILLING  # the same browser carries on
    draft.touch(now, on_form=on_form)
    _save(store, draft)
    return procedure, draft


def open_draft(store, catalogue, procedure_id, draft_id, *, now):
    """(procedure, draft) for a page of the form outside these steps (the attachments
    page): the same checks (gone, timed out, another procedure's or 団体's, not verified),
    and it counts as a form page for the timeouts."""
    return _open(store, catalogue, procedure_id, draft_id, now, on_form=True)


def _save(store, draft):
    try:
        store.save_draft(draft)
    except DraftChanged:
        raise DraftGone("missing") from None


def code_page(store, catalogue, procedure_id, draft_id, *, now):
    """(procedure, draft) for the page that asks for the code."""
    return _open(store, catalogue, procedure_id, draft_id, now, verified=False)


def resend_code(store, catalogue, procedure_id, draft_id, *, mailer, now):
    """A new code (the old one stops working), at most CODE_SENDS in all and not sooner than
    RESEND_AFTER after the last; wrong attempts keep counting across codes."""
    procedure = procedure_of(catalogue, procedure_id)
    draft = _load(store, procedure, draft_id, now)
    if draft.verified:
        return draft
    if draft.sends >= drafts.CODE_SENDS:
        raise _field(
            "code",
            f"確認コードは{drafts.CODE_SENDS}回まで送れます。届いたメールのコードを入力してください",
            f"A code can be sent {drafts.CODE_SENDS} times; enter the code from the mail",
        )
    if draft.sent_at and now < draft.sent_at + drafts.RESEND_AFTER:
        seconds = int((draft.sent_at + drafts.RESEND_AFTER - now).total_seconds()) + 1
        raise _field(
            "code",
            f"確認コードを送り直せるのは、前に送ってから1分後です（あと{seconds}秒）",
            f"A new code can be sent a minute after the last ({seconds} s)",
        )
    settings = store.settings
    code = _new_code()
    draft.code_hash = tokens.code_hash(settings.secret, draft.id, code)
    draft.sends += 1
    draft.sent_at = now
    draft.touch(now)
    _save(store, draft)
    _mail_code(settings, mailer, procedure, draft, code)
    return draft


def verify_code(store, catalogue, procedure_id, draft_id, raw, *, now):
    """The draft, verified, when raw["code"] is its code. Each attempt is counted before
    the comparison; the CODE_ATTEMPTS-th wrong one deletes the draft (DraftGone)."""
    procedure = procedure_of(catalogue, procedure_id)
    draft = _load(store, procedure, draft_id, now)
    if draft.verified:
        return draft
    code = normalize(raw.get("code") if isinstance(raw.get("code"), str) else "").replace(" ", "")
    if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
        raise _field(
            "code",
            "メールでお送りした6桁の確認コードを半角数字で入力してください",
            "Enter the 6-digit code from the email",
        )
    if not store.count_code_attempt(draft, drafts.CODE_ATTEMPTS):
        store.erase_draft(draft.id, _epoch(now))
        raise DraftGone("attempts")
    if not tokens.code_matches(store.settings.keys, draft.code_hash, draft.id, code):
        left = drafts.CODE_ATTEMPTS - draft.attempts
        if left <= 0:
            store.erase_draft(draft.id, _epoch(now))
            raise DraftGone("attempts")
        raise _field(
            "code",
            f"確認コードが違います。メールのコードを確かめてください（あと{left}回入力できます）",
            f"The code is not right; check the email ({left} attempt(s) left)",
        )
    return _verified(store, draft, now)


def _verified(store, draft, now):
    draft.state = drafts.FILLING
    draft.touch(now)
    _save(store, draft)
    logger.info("application draft verified procedure=%s", draft.procedure_id)
    return draft


def verify_link(store, catalogue, procedure_id, token, *, now):
    """The draft, verified, from the link in the code's mail (valid as long as the code)."""
    procedure = procedure_of(catalogue, procedure_id)
    try:
        data = tokens.unseal(
            store.settings.keys,
            VERIFY,
            token,
            max_age=int(drafts.NAVIGATION.total_seconds()),
            now=_epoch(now),
        )
    except InvalidToken:
        raise DraftGone("missing") from None
    draft = _load(store, procedure, str(data.get("d", "")), now)
    if draft.verified:
        return draft
    return _verified(store, draft, now)


# ---------------------------------------------------------------- the form's pages


def steps_of(procedure, draft):
    return steps(procedure, draft.kind)


def _step(procedure, draft, slug):
    for step in steps_of(procedure, draft):
        if step.slug == slug:
            return step
    raise NotFound("step")


def open_step(store, catalogue, procedure_id, draft_id, slug, *, now):
    """(procedure, draft, step) for showing a page of the form: 90 minutes from now."""
    procedure, draft = _open(store, catalogue, procedure_id, draft_id, now, on_form=True)
    return procedure, draft, _step(procedure, draft, slug)


def step_errors(procedure, draft, step, now):
    """The problems of this page's fields (procedure.check over everything typed so far,
    keeping only those that belong to the page)."""
    try:
        check(procedure, draft.raw(), now)
    except ValidationFailed as failed:
        return [e for e in failed.errors if e.field in step.fields]
    return []


def _typed(raw, name):
    group, _, key = name.partition(".")
    value = (raw.get("answers") or {}).get(key) if group == "answers" else raw.get(form_name(name))
    return value if isinstance(value, str) else ""


def save_step(store, catalogue, procedure_id, draft_id, slug, raw, *, now, validate=True):
    """Keep what the page sent (even when it has errors: the page shows it again), then
    ValidationFailed for its fields, or the slug of the next page ("check" after the last,
    or when the resident came from the check page to change one answer). validate=False
    (一時保存) keeps the page as typed and returns None."""
    procedure = procedure_of(catalogue, procedure_id)
    draft = _load(store, procedure, draft_id, now)
    if not draft.verified:
        raise NotFound("draft")
    step = _step(procedure, draft, slug)
    for name in step.fields:
        draft.values[name] = _typed(raw, name)
    if draft.kind != AGENT:
        draft.values = {k: v for k, v in draft.values.items() if not k.startswith("agent.")}
    draft.state = drafts.FILLING
    draft.touch(now)
    _save(store, draft)
    if not validate:
        return None
    errors = step_errors(procedure, draft, step, now)
    if errors:
        raise ValidationFailed(errors)
    order = [s.slug for s in steps_of(procedure, draft)]
    if raw.get("from") == "check" and not _changes_the_pages(step):
        return "check"
    position = order.index(slug) + 1
    return order[position] if position < len(order) else "check"


def _changes_the_pages(step):
    return "applicant_kind" in step.fields  # 本人 ⇄ 代理人: other pages follow


@dataclass(frozen=True)
class Row:
    """One answer on the check page: its label, what was typed, and the page to change it."""

    field: str
    label: str
    value: str
    step: str


def review(store, catalogue, procedure_id, draft_id, *, now):
    """(procedure, draft, rows, errors) for 確認画面: every field of every page, and what
    procedure.check still finds wrong (each error names the page to correct it on)."""
    procedure, draft = _open(store, catalogue, procedure_id, draft_id, now)
    rows = [
        Row(name, label_of(procedure, name)[0], draft.values.get(name, ""), step.slug)
        for step in steps_of(procedure, draft)
        for name in step.fields
    ]
    try:
        check(procedure, draft.raw(), now)
        errors = []
    except ValidationFailed as failed:
        errors = failed.errors
    return procedure, draft, rows, errors


def step_of_field(procedure, draft, name):
    """The slug of the page that asks `name` (for the links of an error summary)."""
    for step in steps_of(procedure, draft):
        if name in step.fields:
            return step.slug
    return steps_of(procedure, draft)[0].slug


# ---------------------------------------------------------------- submit


@dataclass(frozen=True)
class Completed:
    """What the completion page shows once: the numbers, and the fee still to pay."""

    accepted: applications.Accepted
    email: str
    by_agent: bool

    @property
    def reference(self):
        return format_reference(self.accepted.reference)

    @property
    def inquiry_code(self):
        return format_inquiry_code(self.accepted.inquiry_code)


ATTACHMENTS_FIELD = "attachments"  # an error about the documents (the form links their page)


def attached(files, procedure, draft):
    """(files attached, required documents still missing) of a draft, from the
    attachments' store `files`; nothing when the procedure asks for no documents."""
    if files is None or not procedure.attachments:
        return [], []
    owner = attachments.Draft(procedure.dantai, draft.id, procedure, draft.kind)
    listed = attachments.listing(files, owner)
    return listed, attachments.missing(files, owner, listed)


def _require_documents(files, procedure, draft):
    """The required documents first: nothing is sent without them."""
    _, missing = attached(files, procedure, draft)
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    ATTACHMENTS_FIELD,
                    f"{document['label']}を添付してください",
                    f"Attach the required document ({document['label']})",
                )
                for document in missing
            ]
        )


def submit(
    store, catalogue, procedure_id, draft_id, *, client, mailer, dantai, now, trust=None, files=None
):
    """Send the draft through the intake: Completed. The first request mails the numbers to
    the verified address and a notice without personal data to the 団体's desk; a double
    click or a retry (the same Idempotency-Key) gets the same numbers and sends nothing.
    With the attachments' store `files`, the required documents must be there, and the
    checked files then go under the 到達番号 (safe to repeat)."""
    procedure, draft = _open(store, catalogue, procedure_id, draft_id, now)
    _require_documents(files, procedure, draft)
    accepted, replayed = applications.submit(
        store,
        catalogue,
        {**draft.raw(), "procedure": procedure.id},
        client=client,
        idempotency_key=idempotency_key(draft.id),
        now=now,
        trust=trust,
        contact=draft.email,
    )
    if files is not None and procedure.attachments:
        owner = attachments.Draft(procedure.dantai, draft.id, procedure)
        attachments.move_to_application(files, owner, accepted.reference)
    completed = Completed(accepted, draft.email, draft.kind == AGENT)
    # what was typed is now the application's; the draft keeps only its number, until TTL
    draft.state, draft.reference, draft.values = drafts.SUBMITTED, accepted.reference, {}
    draft.touch(now)
    with contextlib.suppress(DraftChanged):  # the other click of a double click marked it
        store.save_draft(draft)
    if not replayed:
        _mail_receipt(store.settings, mailer, procedure, completed)
        _mail_desk(mailer, procedure, dantai.get(procedure.dantai), completed)
    return completed


def _mail_receipt(settings, mailer, procedure, completed):
    accepted = completed.accepted
    lines = [
        f"「{procedure.title}」の申請を受け付けました。",
        "",
        f"到達番号: {completed.reference}",
        f"問合せ番号: {completed.inquiry_code}",
        f"到達日時: {format_jst(accepted.received_at)}",
        "",
        "申請の状況は、次のページで到達番号と問合せ番号を入力すると確かめられます。",
        f"{settings.site_url}{STATUS_PAGE}",
        "問合せ番号は、申請の完了画面とこのメールでだけお知らせします。大切に保管してください。",
    ]
    if accepted.fee:
        lines += [
            "",
            f"手数料 {accepted.fee:,}円 は納付待ちです。上のページからお支払いください。",
        ]
    if completed.by_agent:
        lines += ["", "代理人として申請されたため、代理人のメールアドレスにお送りしています。"]
    lines += [
        "",
        f"We received your application ({procedure.title_en}).",
        f"Reference number: {completed.reference} / Inquiry code: {completed.inquiry_code}",
        "",
        "このメールは送信専用です。 / This address does not receive replies.",
    ]
    if mailer is None or not mailer.send(
        completed.email,
        f"【宮城県 電子申請】申請を受け付けました（到達番号 {completed.reference}）",
        "\n".join(lines),
    ):
        logger.warning("application receipt not mailed procedure=%s", procedure.id)


def _mail_desk(mailer, procedure, dantai, completed):
    """The 団体's desk learns that an application arrived: which procedure, its number and
    time, nothing the resident wrote (staff read that in their console)."""
    if mailer is None or dantai is None or not dantai.email:
        return
    text = "\n".join(
        [
            f"{dantai.name}の電子申請に、新しい申請が届きました。",
            "",
            f"手続: {procedure.title}（{procedure.id}）",
            f"担当: {procedure.department}",
            f"到達番号: {completed.reference}",
            f"到達日時: {format_jst(completed.accepted.received_at)}",
            "",
            "申請の内容は、職員用の画面で確認してください（このメールには個人情報を載せていません）。",
        ]
    )
    mailer.send(dantai.email, f"【電子申請】新しい申請: {procedure.title}", text)


# ---------------------------------------------------------------- 一時保存


def save_for_later(store, catalogue, procedure_id, draft_id, *, mailer, now):
    """Keep the draft 7 days and mail a link that resumes it: the deadline it now has."""
    procedure, draft = _open(store, catalogue, procedure_id, draft_id, now)
    draft.state = drafts.SAVED_STATE
    draft.deadline = now + drafts.SAVED
    _save(store, draft)
    settings = store.settings
    token = tokens.seal(
        settings.keys, RESUME, {"d": draft.id, "procedure": procedure.id}, now=_epoch(now)
    )
    link = f"{settings.site_url}{base(procedure.id)}/resume?token={quote(token)}"
    text = "\n".join(
        [
            f"「{procedure.title}」の申請を一時保存しました。",
            "",
            "続きを入力するときは、次のリンクを開いて、表示されるページのボタンを押してください。",
            link,
            "",
            f"このリンクは {format_jst(draft.deadline)} まで（7日間）有効です。"
            "過ぎると、入力した内容は消去されます。",
            "",
            f"Your application ({procedure.title_en}) is saved for 7 days; open the link to go on.",
            "",
            "このメールは送信専用です。 / This address does not receive replies.",
        ]
    )
    if mailer is None or not mailer.send(
        draft.email, f"【宮城県 電子申請】一時保存しました: {procedure.title}", text
    ):
        raise MailUnavailable()
    return draft


def resume(store, catalogue, procedure_id, token, *, now):
    """The saved draft behind a resume link (for this procedure only), back in the form."""
    procedure = procedure_of(catalogue, procedure_id)
    try:
        data = tokens.unseal(
            store.settings.keys,
            RESUME,
            token,
            max_age=int(drafts.SAVED.total_seconds()),
            now=_epoch(now),
        )
    except InvalidToken:
        raise ResumeLinkInvalid() from None
    if data.get("procedure") != procedure.id:
        raise NotFound("draft")
    try:
        return _open(store, catalogue, procedure_id, str(data.get("d", "")), now)[1]
    except DraftGone:
        raise ResumeLinkInvalid() from None


def next_slug(procedure, draft, now):
    """Where a resumed draft goes on: the first page with a problem, else 確認画面."""
    errors = []
    try:
        check(procedure, draft.raw(), now)
    except ValidationFailed as failed:
        errors = failed.errors
    for step in steps_of(procedure, draft):
        if any(e.field in step.fields for e in errors) or any(
            name not in draft.values for name in step.fields
        ):
            return step.slug
    return "check"
