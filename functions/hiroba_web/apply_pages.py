"""The online form's pages (電子申請, hiroba_core.services.apply) and its cookie.

Each page is a template of the theme (theme/templates/app/apply-*.html); this module only
gathers what they show: the controls of a page as data for the theme's components, the
error summary's links, the time left. No script is needed anywhere.

The draft's id travels in one cookie: HttpOnly, SameSite=Lax, Path=/, and on https the
`__Host-` prefix with Secure (the browser then refuses it from any subdomain or over http);
`make run` and the tests serve http://127.0.0.1, where a Secure cookie would not come back,
so there the plain name without Secure.
"""

import math

from chalice import Response

from hiroba_core.dates import format_jst
from hiroba_core.domain import draft as drafts
from hiroba_core.domain.draft import form_name, label_of
from hiroba_core.domain.procedure import AGENT, AGENT_FIELDS, APPLICANT_FIELDS
from hiroba_core.services import apply

from .http import NO_STORE, read_cookie
from .pages import html

SECURE_COOKIE, PLAIN_COOKIE = "__Host-hiroba-draft", "hiroba-draft"
STATUS_PAGE = "/procedures/status/"
PROCEDURES_PAGE = "/procedures/"


def _secure(settings):
    return settings.site_url.startswith("https://")


def cookie_name(settings):
    return SECURE_COOKIE if _secure(settings) else PLAIN_COOKIE


def set_cookie(settings, draft_id):
    """The Set-Cookie of a draft: it lives as long as a saved draft may (the draft's own
    deadline, kept server-side, decides when it is gone)."""
    max_age = int(drafts.SAVED.total_seconds())
    parts = [f"{cookie_name(settings)}={draft_id}", "Path=/", "HttpOnly", "SameSite=Lax"]
    parts.append(f"Max-Age={max_age}")
    if _secure(settings):
        parts.append("Secure")
    return "; ".join(parts)


def draft_id(request, settings):
    """The draft id of the request's cookie, or None."""
    return read_cookie(request, cookie_name(settings)) or None


def see_other(location, cookie=None):
    headers = {"Location": location, **NO_STORE}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body="", status_code=303, headers=headers)


def _time_left(draft, now):
    minutes = max(0, math.ceil((draft.deadline - now).total_seconds() / 60))
    return {"until": format_jst(draft.deadline), "minutes": minutes}


def _common(procedure, dantai=None):
    return {
        "procedure": procedure,
        "base": apply.base(procedure.id),
        "procedure_page": f"{PROCEDURES_PAGE}{procedure.id}/",
        "dantai": dantai,
    }


def attachment_page(procedure_id):
    """The attachments page of the draft (routes/attachments.py, hiroba_web.attachment_pages)."""
    from .attachment_pages import page_url

    return page_url(procedure_id)


def _summary(errors, href):
    return [{"text": e.message, "href": href(e.field)} for e in errors]


# ---------------------------------------------------------------- address and code


def start_page(procedure, dantai, email="", errors=(), status=200):
    """What 「申請する」 opens: how the form works, and the e-mail address to verify."""
    error = next((e.message for e in errors if e.field == "email"), None)
    return html(
        "app/apply-start.html",
        status=status,
        title=f"メールアドレスの確認 - {procedure.title}",
        email=email,
        error=error,
        summary=_summary(errors, lambda f: "#email"),
        agents=AGENT in procedure.applicants,
        attachments=procedure.attachments,
        **_common(procedure, dantai),
    )


def code_page(procedure, draft, now, errors=(), status=200):
    error = next((e.message for e in errors if e.field == "code"), None)
    return html(
        "app/apply-code.html",
        status=status,
        title=f"確認コードの入力 - {procedure.title}",
        email=draft.email,
        error=error,
        summary=_summary(errors, lambda f: "#code"),
        time=_time_left(draft, now),
        resend=draft.sends < drafts.CODE_SENDS,
        **_common(procedure),
    )


def verify_link_page(procedure, token):
    """What the link in the code's mail opens: a button (a GET changes nothing)."""
    return html(
        "app/apply-verify.html",
        title=f"メールアドレスの確認 - {procedure.title}",
        token=token,
        **_common(procedure),
    )


# ---------------------------------------------------------------- the form's pages

_AUTOCOMPLETE = {
    "applicant.name": "name",
    "applicant.organization": "organization",
    "applicant.postal_code": "postal-code",
    "applicant.address": "street-address",
    "applicant.phone": "tel",
    "agent.name": "name",
    "agent.address": "street-address",
    "agent.phone": "tel",
}
_HINTS = {
    "kana": "ひらがなかカタカナで入力してください。例：みやぎ はなこ",
    "postal_code": "例：980-8570",
    "phone": "市外局番から入力してください。例：022-211-2111",
    "relationship": "例：子、配偶者、同居の親族",
}
_KIND_TEXT = {
    "本人": "本人（ご自身のことを申請します）",
    AGENT: "代理人（ご本人から頼まれて、代わりに申請します）",
}
DATE_HINT = "和暦でも西暦でも入力できます。例：令和8年4月1日、R8.4.1、2026-04-01"


def _control(procedure, draft, name, error):
    """A control of the form as data for the theme's components (app/apply-field.html)."""
    cid = form_name(name)
    group, _, key = name.partition(".")
    control = {
        "id": cid,
        "name": cid,
        "label": label_of(procedure, name)[0],
        "value": draft.values.get(name, ""),
        "error": error,
        "kind": "text",
        "hint": "",
        "attributes": {},
    }
    if name == "applicant_kind":
        chosen = draft.values.get(name) or ""
        control["kind"] = "radios"
        control["items"] = [
            {"id": cid if i == 0 else f"{cid}-{i}", "value": k, "text": _KIND_TEXT[k]}
            | {"checked": chosen == k}
            for i, k in enumerate(procedure.applicants)
        ]
        return control
    if group in ("applicant", "agent"):
        fields = APPLICANT_FIELDS if group == "applicant" else AGENT_FIELDS
        control["attributes"] = {"maxlength": fields[key][2]}
        control["autocomplete"] = _AUTOCOMPLETE.get(name)
        control["hint"] = _HINTS.get(key, "")
        if key in ("postal_code", "phone"):
            control["inputmode"] = "tel" if key == "phone" else "numeric"
        return control
    question = next(q for q in procedure.questions if q.id == key)
    if question.kind == "choice":
        control["kind"] = "radios"
        control["items"] = [
            {"id": cid if i == 0 else f"{cid}-{i}", "value": c, "text": c}
            | {"checked": control["value"] == c}
            for i, c in enumerate(question.choices)
        ]
    elif question.kind == "integer":
        control["inputmode"] = "numeric"
        control["hint"] = f"{question.min}から{question.max}までの数字で入力してください。"
        control["attributes"] = {"maxlength": 12}
    elif question.kind == "date":
        control["hint"] = DATE_HINT
        control["attributes"] = {"maxlength": 20}
    else:
        limit = question.max or 200
        control["kind"] = "count" if question.multiline or limit > 200 else "text"
        control["max_length"] = limit
        control["attributes"] = {"maxlength": limit}
    return control


def step_page(procedure, draft, step, now, errors=(), from_check=False, status=200):
    order = apply.steps_of(procedure, draft)
    index = next(i for i, s in enumerate(order) if s.slug == step.slug)
    messages = {e.field: e.message for e in errors}
    controls = [_control(procedure, draft, name, messages.get(name)) for name in step.fields]
    back = f"{apply.base(procedure.id)}/steps/{order[index - 1].slug}" if index else None
    return html(
        "app/apply-step.html",
        status=status,
        title=f"{step.title} - {procedure.title}",
        step=step,
        number=index + 1,
        count=len(order),
        controls=controls,
        summary=_summary(errors, lambda f: f"#{form_name(f)}"),
        from_check=from_check,
        back=back,
        time=_time_left(draft, now),
        **_common(procedure),
    )


def check_page(procedure, draft, rows, errors, now, status=200, files=(), missing=()):
    """確認画面: every answer with a 修正 link to its page; the attached files (`files`,
    and the required documents still `missing`) with a link to add or remove them; what
    is still wrong on top."""
    base = apply.base(procedure.id)

    def href(name):
        if name == apply.ATTACHMENTS_FIELD:
            return attachment_page(procedure.id)
        slug = apply.step_of_field(procedure, draft, name)
        return f"{base}/steps/{slug}?from=check#{form_name(name)}"

    return html(
        "app/apply-check.html",
        status=status,
        title=f"入力内容の確認 - {procedure.title}",
        rows=[
            {
                "key": row.label,
                "text": row.value or "（未入力）",
                "href": f"{base}/steps/{row.step}?from=check#{form_name(row.field)}",
            }
            for row in rows
        ],
        email=draft.email,
        by_agent=draft.kind == AGENT,
        summary=_summary(errors, href),
        time=_time_left(draft, now),
        fee=procedure.fee,
        files=files,
        missing=missing,
        attachments_url=attachment_page(procedure.id),
        **_common(procedure),
    )


def complete_page(procedure, completed, pay):
    """The numbers, shown once; the fee to pay (納付待ち) with the payment form."""
    return html(
        "app/apply-complete.html",
        title=f"申請を受け付けました - {procedure.title}",
        completed=completed,
        fee=completed.accepted.fee,
        pay=pay,
        status_page=STATUS_PAGE,
        **_common(procedure),
    )


def saved_page(procedure, draft):
    return html(
        "app/apply-saved.html",
        title=f"一時保存しました - {procedure.title}",
        email=draft.email,
        until=format_jst(draft.deadline),
        **_common(procedure),
    )


def resume_page(procedure, token):
    return html(
        "app/apply-resume.html",
        title=f"申請の再開 - {procedure.title}",
        token=token,
        **_common(procedure),
    )


def gone_page(problem, procedure_id):
    """Why the draft is gone (timeout, too many wrong codes, no cookie, already sent) and
    how to start again."""
    data = problem.body()
    return html(
        "app/apply-gone.html",
        status=problem.status,
        headers=problem.headers,
        title=data["title"],
        problem=data,
        start=apply.base(procedure_id),
        procedures=PROCEDURES_PAGE,
    )


def problem_page(problem):
    data = problem.body()
    return html(
        "app/problem.html",
        status=problem.status,
        headers=problem.headers,
        title=data["title"],
        problem=data,
    )
