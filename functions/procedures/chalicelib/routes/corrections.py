"""補正 (corrections): the link in the 補正依頼 mail opens the application's answers as a
form; the corrected answers come back into the same application. Plain HTML, no script."""

from html import escape

from chalice import Blueprint

from hiroba_core import problems
from hiroba_core.errors import InvalidToken, ValidationFailed
from hiroba_core.ids import format_reference
from hiroba_core.services import applications as service
from hiroba_web import context
from hiroba_web.http import FORM, read_body
from hiroba_web.pages import html

bp = Blueprint(__name__)
ACTION = "/api/procedures/corrections"


def _gone():
    return html(
        "このリンクは使えません",
        "<h1>このリンクは使えません</h1>"
        "<p>リンクが正しくないか、有効期限（14日間）が切れているか、すでに補正が済んでいます。"
        "担当課にお問い合わせください。</p>",
        status=400,
    )


def _form(token, application, procedure, request_text, errors=(), answers=None):
    answers = application.answers if answers is None else answers
    summary = ""
    if errors:
        items = "".join(
            f'<li><a href="#answer-{escape(e.field.split(".")[-1])}">{escape(e.message)}</a></li>'
            for e in errors
        )
        summary = (
            '<div class="hiroba-error-summary" role="alert" tabindex="-1">'
            '<h2 class="hiroba-error-summary__title">入力内容を確認してください</h2>'
            f'<ul class="hiroba-error-summary__list">{items}</ul></div>'
        )
    fields = []
    for question in procedure.questions:
        value = answers.get(question.id, "")
        control_id = f"answer-{question.id}"
        if question.choices:
            options = "".join(
                f'<option value="{escape(c)}"{" selected" if c == str(value) else ""}>'
                f"{escape(c)}</option>"
                for c in question.choices
            )
            control = (
                f'<select class="hiroba-select" id="{control_id}" name="{control_id}">'
                f"{options}</select>"
            )
        elif question.multiline:
            control = (
                f'<textarea class="hiroba-textarea" id="{control_id}" name="{control_id}"'
                f' rows="4">{escape(str(value))}</textarea>'
            )
        else:
            control = (
                f'<input class="hiroba-input" id="{control_id}" name="{control_id}"'
                f' type="text" value="{escape(str(value))}">'
            )
        fields.append(
            f'<div class="hiroba-form-group"><label class="hiroba-label" for="{control_id}">'
            f"{escape(question.label)}</label>{control}</div>"
        )
    body = f"""<h1>申請内容の補正</h1>
{summary}
<p>{escape(procedure.title)}（到達番号 {escape(format_reference(application.reference))}）</p>
<h2>担当課からのお願い</h2>
<p class="hiroba-correction-request">{escape(request_text)}</p>
<form method="post" action="{ACTION}" novalidate>
<input type="hidden" name="token" value="{escape(token)}">
{"".join(fields)}
<button class="hiroba-button" type="submit">補正して送信する</button>
</form>
"""
    return html("申請内容の補正", body, status=422 if errors else 200)


@bp.route("/corrections", methods=["GET"])
def correction_form():
    token = (bp.current_request.query_params or {}).get("token", "")
    store = context.procedures_store()
    try:
        application, procedure, request_text = service.correction_for(
            store, context.catalogue(), token
        )
    except InvalidToken:
        return _gone()
    return _form(token, application, procedure, request_text)


@bp.route("/corrections", methods=["POST"], content_types=[FORM])
def correct():
    try:
        raw = read_body(bp.current_request, accepted=(FORM,))
    except problems.Problem:
        return _gone()
    token = raw.get("token") if isinstance(raw.get("token"), str) else ""
    store = context.procedures_store()
    try:
        application = service.correct(store, context.catalogue(), token, raw)
    except InvalidToken:
        return _gone()
    except ValidationFailed as failed:
        application, procedure, request_text = service.correction_for(
            store, context.catalogue(), token
        )
        return _form(token, application, procedure, request_text, failed.errors, raw["answers"])
    reference = escape(format_reference(application.reference))
    return html(
        "補正を受け付けました",
        '<div class="hiroba-panel" role="status"><h1 class="hiroba-panel__title">'
        "補正を受け付けました</h1></div>"
        f"<p>到達番号 {reference} の申請は、ふたたび審査中になりました。"
        "状況は申請状況の照会で確かめられます。</p>"
        '<p><a href="/procedures/status/">申請状況の照会へ</a></p>',
    )
