"""The few HTML pages the API itself answers to browsers that post forms without script:
the receipt (受付番号) and the list of errors. Same stylesheet and landmarks as the site."""

from html import escape

from chalice import Response

from hiroba_core.dates import format_jst as jst

from .http import NO_STORE

_PAGE = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} - 宮城県</title>
<link rel="stylesheet" href="/theme/css/hiroba.css">
</head>
<body>
<a class="hiroba-skip-link" href="#main">本文へ移動</a>
<header class="hiroba-header"><div class="hiroba-width-container hiroba-header__bar">
<a class="hiroba-header__logo" href="/">宮城県<small>Miyagi Prefectural Government</small></a>
</div></header>
<div class="hiroba-width-container">
<main id="main" tabindex="-1">
{body}
</main>
</div>
</body>
</html>
"""


def html(title, body, status=200, headers=None):
    return Response(
        body=_PAGE.format(title=escape(title), body=body),
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", **NO_STORE, **(headers or {})},
    )


def receipt_page(receipt, consultation):
    title = consultation.title if consultation else ""
    back = escape(consultation.url) if consultation else "/"
    body = f"""<div class="hiroba-panel" role="status">
<h1 class="hiroba-panel__title">受け付けました</h1>
<p class="hiroba-panel__body">受付番号<br><strong class="hiroba-receipt-number">{escape(receipt.display)}</strong></p>
</div>
<p>「{escape(title)}」へのご意見を受け付けました。お問い合わせの際は受付番号をお知らせください。</p>
<p>受付日時: {escape(jst(receipt.created_at))}</p>
<p><a href="{back}">意見募集のページに戻る</a></p>
"""
    return html("受け付けました", body)


def field_id(field):
    """The id of the form control for an error's field (theme/templates/consultation.html)."""
    return "comment-" + field.replace("answers.", "answer-")


def error_page(problem, back_url, field_id=field_id):
    """GOV.UK error summary: a list of links to the fields, then a way back to the form."""
    data = problem.body()
    items = "".join(
        f'<li><a href="{escape(back_url)}#{escape(field_id(e["field"]))}">{escape(e["message"])}</a></li>'
        for e in data.get("errors", [])
    )
    listing = f'<ul class="hiroba-error-summary__list">{items}</ul>' if items else ""
    body = f"""<div class="hiroba-error-summary" role="alert" tabindex="-1">
<h1 class="hiroba-error-summary__title">{escape(data["title"])}</h1>
<p>{escape(data["detail"])}</p>
{listing}
</div>
<p><a href="{escape(back_url)}">入力画面に戻って直す</a>（ブラウザの「戻る」でも、入力した内容は残っています）</p>
"""
    return html(data["title"], body, status=problem.status, headers=problem.headers)


# ---------------------------------------------------------------- "send me a copy" links

COPY_ACTION = "/api/publishing/comments/copy"


def copy_confirm_page(token, consultation):
    """What the verification link opens: a button, because mail scanners open links
    before people do, and a GET must not send anything."""
    title = escape(consultation.title) if consultation else ""
    body = f"""<h1>ご意見の控えをメールで受け取りますか</h1>
<p>「{title}」へのご意見の控え（受付番号と受付日時）を、このメールアドレスに送ります。</p>
<form method="post" action="{COPY_ACTION}" novalidate>
<input type="hidden" name="token" value="{escape(token)}">
<button class="hiroba-button" type="submit">控えを受け取る</button>
</form>
<p>ご意見を送った覚えがない場合は、このページを閉じてください。控えは送られません。</p>
"""
    return html("控えの受け取りの確認", body)


def copy_sent_page(sent):
    if sent:
        title = "控えを送りました"
        text = "ご意見の控え（受付番号と受付日時）を、このメールアドレスに送りました。"
    else:
        title = "控えは送信済みです"
        text = "このご意見の控えは、すでに送っています。控えは1回だけ送ります。"
    body = f"""<div class="hiroba-panel" role="status">
<h1 class="hiroba-panel__title">{escape(title)}</h1>
</div>
<p>{escape(text)}</p>
<p><a href="/">宮城県のトップページへ</a></p>
"""
    return html(title, body)


def copy_error_page(problem):
    """A refused copy link: what went wrong, in Japanese and English, and no form to go
    back to (the link came from a mail)."""
    data = problem.body()
    body = f"""<div class="hiroba-error-summary" role="alert" tabindex="-1">
<h1 class="hiroba-error-summary__title">{escape(data["title"])}</h1>
<p>{escape(data["detail"])}</p>
<p lang="en">{escape(data.get("detail_en") or "")}</p>
</div>
<p><a href="/">宮城県のトップページへ</a></p>
"""
    return html(data["title"], body, status=problem.status, headers=problem.headers)
