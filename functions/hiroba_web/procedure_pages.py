"""The answers to a status inquiry (申請状況の照会) posted from a form: for browsers without
script (UTF-8 HTML like pages.py) and for feature phones (Shift_JIS XHTML, keitai.py).

The forms are /procedures/status/ and /m/procedures/status/ on the site; their fields are
`reference` (到達番号, id inquiry-reference) and `inquiry_code` (問合せ番号, id inquiry-code).
"""

from html import escape

from hiroba_core.dates import format_jst as jst

from . import keitai
from .pages import error_page, html

FORM_PAGE = "/procedures/status/"
MOBILE_FORM_PAGE = "/m/procedures/status/"
FIELD_IDS = {"reference": "inquiry-reference", "inquiry_code": "inquiry-code"}
MAX_MOBILE_HISTORY = 20  # the newest changes a handset page lists


def field_id(field):
    """The id of the form control for an error's field on /procedures/status/."""
    return FIELD_IDS.get(field, "inquiry-reference")


def _fee(view):
    if not view["fee"]:
        return view["payment_label"]
    return f"{view['fee']:,}円（{view['payment_label']}）"


DOCUMENT_ACTION = "/api/procedures/inquiries/document"


def _document(view, inquiry_code):
    """The button that downloads the issued document, posting the two numbers again (the
    page itself is no-store; the code is the applicant's own)."""
    document = view.get("document")
    if not document or not document["issued"] or not inquiry_code:
        return ""
    title = escape(document["title"])
    return f"""<h2>{title}</h2>
<p>{title}を電子署名付きのPDFで発行しました。{escape(jst(document["available_until"]))}までダウンロードできます。</p>
<form method="post" action="{DOCUMENT_ACTION}">
<input type="hidden" name="reference" value="{escape(view["reference"])}">
<input type="hidden" name="inquiry_code" value="{escape(inquiry_code)}">
<button class="hiroba-button" type="submit">{title}（PDF）をダウンロード</button>
</form>
"""


def status_page(view, inquiry_code=None):
    """The status of one application (inquiry_view) as a page in the site's style, with the
    download of its issued document when there is one."""
    rows = "".join(
        f"<tr><td>{escape(jst(c['at']))}</td><td>{escape(c['status_label'])}</td></tr>"
        for c in view["history"]
    )
    body = f"""<h1>申請の状況</h1>
<div class="hiroba-panel" role="status">
<p class="hiroba-panel__body">いまの状況<br><strong class="hiroba-receipt-number">{escape(view["status_label"])}</strong></p>
</div>
<dl class="hiroba-summary-list">
<dt>手続</dt><dd>{escape(view["procedure"]["title"])}</dd>
<dt>到達番号</dt><dd>{escape(view["reference"])}</dd>
<dt>到達日時</dt><dd>{escape(jst(view["received_at"]))}</dd>
<dt>手数料</dt><dd>{escape(_fee(view))}</dd>
</dl>
<table>
<caption>これまでの経過</caption>
<thead><tr><th scope="col">日時</th><th scope="col">状況</th></tr></thead>
<tbody>{rows}</tbody>
</table>
{_document(view, inquiry_code)}<p><a href="{FORM_PAGE}">ほかの申請の状況を調べる</a></p>
"""
    return html("申請の状況", body)


def error(problem):
    """GOV.UK error summary linking to #inquiry-reference and #inquiry-code."""
    return error_page(problem, FORM_PAGE, field_id=field_id)


# ---------------------------------------------------------------- feature phones

AGAIN = (MOBILE_FORM_PAGE, "もう一度照会", "9")


def mobile_status_page(view):
    history = view["history"][-MAX_MOBILE_HISTORY:]
    body = (
        "<h1>申請状況</h1>\n"
        + keitai.lines(
            [
                f"手続: {escape(view['procedure']['title'])}",
                f"到達番号: {escape(view['reference'])}",
                f"到達日時: {escape(jst(view['received_at']))}",
                f"状況: <strong>{escape(view['status_label'])}</strong>",
                f"手数料: {escape(_fee(view))}",
            ]
        )
        + "<h2>経過</h2>\n"
        + keitai.lines(f"{escape(jst(c['at']))} {escape(c['status_label'])}" for c in history)
    )
    return keitai.page("申請状況", body, [AGAIN])


def mobile_error(problem):
    return keitai.error_page(problem, AGAIN)
