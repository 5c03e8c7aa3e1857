"""Residents: the online form (電子申請) of a procedure, page by page, without script.

    GET  /apply/{procedure}                 how it works; the e-mail address
    POST /apply/{procedure}/email           a draft (cookie) and a code by mail
    GET  /apply/{procedure}/code            the code      POST: check it
    POST /apply/{procedure}/code/resend     a new code
    GET  /apply/{procedure}/verify?token=   the mail's link: a button   POST: verified
    GET  /apply/{procedure}/steps/{step}    a page of the form   POST: keep it, go on
                                            (action=save: 一時保存)
    GET  /apply/{procedure}/check           確認画面     POST /submit: send it
    POST /apply/{procedure}/save            一時保存: a resume link by mail
    GET  /apply/{procedure}/resume?token=   a button     POST: back in the form

Every answer is a page of the theme (hiroba_web.apply_pages); the logic is
hiroba_core.services.apply, with the clock of hiroba_web.context.now.
"""

from urllib.parse import parse_qsl

from chalice import Blueprint

from hiroba_core.services import apply
from hiroba_web import apply_pages, context, payment_pages
from hiroba_web.http import FORM, always, api, client_address, read_body

bp = Blueprint(__name__)


def _request():
    return bp.current_request


def _draft_id():
    return apply_pages.draft_id(_request(), context.settings())


def _store():
    return context.procedures_store()


def _form():
    return read_body(_request(), (FORM,))


def _sent():
    """The form fields as sent, for showing them again with their errors."""
    raw = (_request().raw_body or b"").decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _query(name):
    return (_request().query_params or {}).get(name)


def _first_step(procedure, draft):
    return f"{apply.base(procedure.id)}/steps/{apply.steps_of(procedure, draft)[0].slug}"


def _answer(problem, procedure_id, validation):
    """The page for a problem: the form again with its errors, why the draft is gone, or
    what else went wrong."""
    if problem.slug == "draft-gone" or (
        problem.slug == "invalid-token" and procedure_id in context.catalogue()
    ):
        return apply_pages.gone_page(problem, procedure_id)
    if problem.slug == "validation" and validation is not None:
        return validation(problem.errors, problem.status)
    return apply_pages.problem_page(problem)


def _problem(problem, procedure_id=None, **_):
    return _answer(problem, procedure_id, None)


# ---------------------------------------------------------------- address and code


def _start_errors(problem, procedure_id):
    def again(errors, status):
        procedure = apply.procedure_of(context.catalogue(), procedure_id)
        email = _sent().get("email", "")
        dantai = context.dantai().get(procedure.dantai)
        return apply_pages.start_page(procedure, dantai, email, errors, status)

    return _answer(problem, procedure_id, again)


@bp.route("/apply/{procedure_id}", methods=["GET"])
@api(bp, page=_problem, browser=always)
def start_page(procedure_id):
    procedure = apply.procedure_of(context.catalogue(), procedure_id)
    return apply_pages.start_page(procedure, context.dantai().get(procedure.dantai))


@bp.route("/apply/{procedure_id}/email", methods=["POST"], content_types=[FORM])
@api(bp, page=_start_errors, browser=always)
def start(procedure_id):
    draft = apply.start(
        _store(),
        context.catalogue(),
        procedure_id,
        _form(),
        client=client_address(_request(), context.settings()),
        mailer=context.mailer(),
        now=context.now(),
    )
    cookie = apply_pages.set_cookie(context.settings(), draft.id)
    return apply_pages.see_other(f"{apply.base(procedure_id)}/code", cookie)


def _code_errors(problem, procedure_id):
    def again(errors, status):
        procedure, draft = apply.code_page(
            _store(), context.catalogue(), procedure_id, _draft_id(), now=context.now()
        )
        return apply_pages.code_page(procedure, draft, context.now(), errors, status)

    return _answer(problem, procedure_id, again)


@bp.route("/apply/{procedure_id}/code", methods=["GET"])
@api(bp, page=_problem, browser=always)
def code_page(procedure_id):
    now = context.now()
    procedure, draft = apply.code_page(
        _store(), context.catalogue(), procedure_id, _draft_id(), now=now
    )
    if draft.verified:
        return apply_pages.see_other(_first_step(procedure, draft))
    return apply_pages.code_page(procedure, draft, now)


@bp.route("/apply/{procedure_id}/code", methods=["POST"], content_types=[FORM])
@api(bp, page=_code_errors, browser=always)
def check_code(procedure_id):
    catalogue = context.catalogue()
    draft = apply.verify_code(
        _store(), catalogue, procedure_id, _draft_id(), _form(), now=context.now()
    )
    return apply_pages.see_other(_first_step(catalogue[procedure_id], draft))


@bp.route("/apply/{procedure_id}/code/resend", methods=["POST"], content_types=[FORM])
@api(bp, page=_code_errors, browser=always)
def resend_code(procedure_id):
    apply.resend_code(
        _store(),
        context.catalogue(),
        procedure_id,
        _draft_id(),
        mailer=context.mailer(),
        now=context.now(),
    )
    return apply_pages.see_other(f"{apply.base(procedure_id)}/code")


@bp.route("/apply/{procedure_id}/verify", methods=["GET"])
@api(bp, page=_problem, browser=always)
def verify_link_page(procedure_id):
    procedure = apply.procedure_of(context.catalogue(), procedure_id)
    return apply_pages.verify_link_page(procedure, _query("token") or "")


@bp.route("/apply/{procedure_id}/verify", methods=["POST"], content_types=[FORM])
@api(bp, page=_problem, browser=always)
def verify_link(procedure_id):
    catalogue = context.catalogue()
    draft = apply.verify_link(
        _store(), catalogue, procedure_id, _form().get("token"), now=context.now()
    )
    cookie = apply_pages.set_cookie(context.settings(), draft.id)
    return apply_pages.see_other(_first_step(catalogue[procedure_id], draft), cookie)


# ---------------------------------------------------------------- the form's pages


def _step_errors(problem, procedure_id, slug):
    def again(errors, status):
        now = context.now()
        procedure, draft, step = apply.open_step(
            _store(), context.catalogue(), procedure_id, _draft_id(), slug, now=now
        )
        from_check = _sent().get("from") == "check"
        return apply_pages.step_page(procedure, draft, step, now, errors, from_check, status)

    return _answer(problem, procedure_id, again)


@bp.route("/apply/{procedure_id}/steps/{slug}", methods=["GET"])
@api(bp, page=_problem, browser=always)
def step_page(procedure_id, slug):
    now = context.now()
    procedure, draft, step = apply.open_step(
        _store(), context.catalogue(), procedure_id, _draft_id(), slug, now=now
    )
    from_check = _query("from") == "check"
    return apply_pages.step_page(procedure, draft, step, now, from_check=from_check)


@bp.route("/apply/{procedure_id}/steps/{slug}", methods=["POST"], content_types=[FORM])
@api(bp, page=_step_errors, browser=always)
def save_step(procedure_id, slug):
    raw, now, store, catalogue = _form(), context.now(), _store(), context.catalogue()
    if raw.get("action") == "save":  # 一時保存: keep the page as typed, mail the link
        apply.save_step(
            store, catalogue, procedure_id, _draft_id(), slug, raw, now=now, validate=False
        )
        return _save(procedure_id)
    following = apply.save_step(store, catalogue, procedure_id, _draft_id(), slug, raw, now=now)
    target = "check" if following == "check" else f"steps/{following}"
    return apply_pages.see_other(f"{apply.base(procedure_id)}/{target}")


def _attached(procedure, draft):
    return apply.attached(context.attachments_store(), procedure, draft)


def _check_errors(problem, procedure_id):
    def again(errors, status):
        now = context.now()
        procedure, draft, rows, _ = apply.review(
            _store(), context.catalogue(), procedure_id, _draft_id(), now=now
        )
        files, missing = _attached(procedure, draft)
        return apply_pages.check_page(
            procedure, draft, rows, errors, now, status, files=files, missing=missing
        )

    return _answer(problem, procedure_id, again)


@bp.route("/apply/{procedure_id}/check", methods=["GET"])
@api(bp, page=_problem, browser=always)
def check_page(procedure_id):
    now = context.now()
    procedure, draft, rows, errors = apply.review(
        _store(), context.catalogue(), procedure_id, _draft_id(), now=now
    )
    files, missing = _attached(procedure, draft)
    return apply_pages.check_page(procedure, draft, rows, errors, now, files=files, missing=missing)


@bp.route("/apply/{procedure_id}/submit", methods=["POST"], content_types=[FORM])
@api(bp, page=_check_errors, browser=always)
def submit(procedure_id):
    completed = apply.submit(
        _store(),
        context.catalogue(),
        procedure_id,
        _draft_id(),
        client=client_address(_request(), context.settings()),
        mailer=context.mailer(),
        dantai=context.dantai(),
        now=context.now(),
        trust=context.trust(),
        files=context.attachments_store(),
    )
    procedure = context.catalogue()[procedure_id]
    pay = None
    if completed.accepted.fee:  # 納付待ち: the payment step, with the numbers just given
        hidden = {
            "kind": "application",
            "reference": completed.reference,
            "inquiry_code": completed.inquiry_code,
        }
        pay = payment_pages.pay_form(hidden, completed.accepted.fee)
    return apply_pages.complete_page(procedure, completed, pay)


def _save(procedure_id):
    draft = apply.save_for_later(
        _store(),
        context.catalogue(),
        procedure_id,
        _draft_id(),
        mailer=context.mailer(),
        now=context.now(),
    )
    return apply_pages.saved_page(context.catalogue()[procedure_id], draft)


@bp.route("/apply/{procedure_id}/save", methods=["POST"], content_types=[FORM])
@api(bp, page=_problem, browser=always)
def save(procedure_id):
    _form()  # the body is checked like every form's, though only the cookie matters
    return _save(procedure_id)


@bp.route("/apply/{procedure_id}/resume", methods=["GET"])
@api(bp, page=_problem, browser=always)
def resume_page(procedure_id):
    procedure = apply.procedure_of(context.catalogue(), procedure_id)
    return apply_pages.resume_page(procedure, _query("token") or "")


@bp.route("/apply/{procedure_id}/resume", methods=["POST"], content_types=[FORM])
@api(bp, page=_problem, browser=always)
def resume(procedure_id):
    now, catalogue = context.now(), context.catalogue()
    draft = apply.resume(_store(), catalogue, procedure_id, _form().get("token"), now=now)
    procedure = catalogue[procedure_id]
    following = apply.next_slug(procedure, draft, now)
    target = "check" if following == "check" else f"steps/{following}"
    cookie = apply_pages.set_cookie(context.settings(), draft.id)
    return apply_pages.see_other(f"{apply.base(procedure_id)}/{target}", cookie)
