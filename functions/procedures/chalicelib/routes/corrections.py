"""補正 (corrections): the link in the 補正依頼 mail opens the application's answers as a
form; the corrected answers come back into the same application. Pages of the theme
(app/correction.html), no script; every refusal is a page (@api with a page)."""

from urllib.parse import parse_qsl

from chalice import Blueprint

from hiroba_core.ids import format_reference
from hiroba_core.services import applications as service
from hiroba_web import context
from hiroba_web.http import FORM, always, api, read_body
from hiroba_web.pages import html

bp = Blueprint(__name__)
ACTION = "/api/procedures/corrections"


def _gone():
    return html(
        "app/message.html",
        status=400,
        title="このリンクは使えません",
        text="リンクが正しくないか、有効期限（14日間）が切れているか、すでに補正が済んでいます。"
        "担当課にお問い合わせください。",
    )


def _form(token, application, procedure, request_text, errors=(), answers=None):
    return html(
        "app/correction.html",
        status=422 if errors else 200,
        title="申請内容の補正",
        action=ACTION,
        token=token,
        application=application,
        procedure=procedure,
        request_text=request_text,
        answers=application.answers if answers is None else answers,
        errors=errors,
        messages={e.field.split(".")[-1]: e.message for e in errors},
    )


def _refused(problem):
    """The form again with what to correct, or (a forged, expired or used link, a body
    that cannot be read) why the link no longer works."""
    if problem.slug != "validation":
        return _gone()
    sent = dict(parse_qsl((bp.current_request.raw_body or b"").decode("utf-8", "replace")))
    token = sent.get("token", "")
    application, procedure, request_text = service.correction_for(
        context.procedures_store(), context.catalogue(), token
    )
    answers = {k[len("answer-") :]: v for k, v in sent.items() if k.startswith("answer-")}
    return _form(token, application, procedure, request_text, problem.errors, answers)


@bp.route("/corrections", methods=["GET"])
@api(bp, page=_refused, browser=always)
def correction_form():
    token = (bp.current_request.query_params or {}).get("token", "")
    application, procedure, request_text = service.correction_for(
        context.procedures_store(), context.catalogue(), token
    )
    return _form(token, application, procedure, request_text)


@bp.route("/corrections", methods=["POST"], content_types=[FORM])
@api(bp, page=_refused, browser=always)
def correct():
    raw = read_body(bp.current_request, accepted=(FORM,))
    token = raw.get("token") if isinstance(raw.get("token"), str) else ""
    application = service.correct(context.procedures_store(), context.catalogue(), token, raw)
    return html(
        "app/message.html",
        title="補正を受け付けました",
        text=f"到達番号 {format_reference(application.reference)} の申請は、ふたたび審査中になりました。"
        "状況は",
        link_text="申請状況の照会",
        link_href="/procedures/status/",
        after="で確かめられます。",
    )
