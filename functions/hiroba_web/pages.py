"""The HTML pages the API itself answers to browsers that post forms without script: the
receipt (受付番号), the list of errors, the "send me a copy" pages. Each is a template of the
theme (theme/templates/app/) rendered by hiroba_web.templates: the site's header,
navigation, contact block and footer around it."""

from chalice import Response

from . import templates
from .http import NO_STORE


def html(template, status=200, headers=None, **context):
    """A page of the theme as a response that no cache keeps."""
    return Response(
        body=templates.render(template, **context),
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", **NO_STORE, **(headers or {})},
    )


def receipt_page(receipt, consultation):
    return html(
        "app/receipt.html", title="受け付けました", receipt=receipt, consultation=consultation
    )


def field_id(field):
    """The id of the form control for an error's field (theme/templates/consultation.html)."""
    return "comment-" + field.replace("answers.", "answer-")


def error_page(problem, back_url, field_id=field_id):
    """GOV.UK error summary: a list of links to the fields, then a way back to the form."""
    data = problem.body()
    items = [
        {"text": e["message"], "href": f"{back_url}#{field_id(e['field'])}"}
        for e in data.get("errors", [])
    ]
    return html(
        "app/errors.html",
        status=problem.status,
        headers=problem.headers,
        title=data["title"],
        problem=data,
        items=items,
        back_url=back_url,
    )


# ---------------------------------------------------------------- "send me a copy" links

COPY_ACTION = "/api/publishing/comments/copy"


def copy_confirm_page(token, consultation):
    """What the verification link opens: a button, because mail scanners open links
    before people do, and a GET must not send anything."""
    return html(
        "app/copy-confirm.html",
        title="控えの受け取りの確認",
        token=token,
        consultation=consultation,
        action=COPY_ACTION,
    )


def copy_sent_page(sent):
    if sent:
        title = "控えを送りました"
        text = "ご意見の控え（受付番号と受付日時）を、このメールアドレスに送りました。"
    else:
        title = "控えは送信済みです"
        text = "このご意見の控えは、すでに送っています。控えは1回だけ送ります。"
    return html("app/message.html", title=title, text=text, home_link=True)


def copy_error_page(problem):
    """A refused copy link: what went wrong, in Japanese and English, and no form to go
    back to (the link came from a mail)."""
    data = problem.body()
    return html(
        "app/problem.html",
        status=problem.status,
        headers=problem.headers,
        title=data["title"],
        problem=data,
    )
