"""The payment pages the procedures API answers to browsers (no script needed): the amount
of a tax notice with the choice of method, the Pay-easy numbers with instructions, the
state of a payment, and the receipt (領収). Same skeleton as pages.py."""

import secrets
from html import escape

from hiroba_core.dates import format_jst as jst

from .pages import error_page, html

TAX_FORM_PAGE = "/procedures/pay-tax/"
STATUS_FORM_PAGE = "/procedures/status/"
API = "/api/procedures"
FIELD_IDS = {
    "notice_number": "notice-number",
    "confirmation": "notice-confirmation",
    "method": "pay-method-card",
    "email": "pay-email",
    "reference": "inquiry-reference",
    "inquiry_code": "inquiry-code",
}


def field_id(field):
    return FIELD_IDS.get(field, "notice-number")


def new_key():
    """The Idempotency-Key a page's payment form carries: a double click or a resent
    form is the same request and makes one payment."""
    return secrets.token_urlsafe(18)


def _yen(amount):
    return f"{amount:,}円"


def pay_form(hidden, amount, heading="お支払い方法を選んでください"):
    """The choice of method (card or Pay-easy) and an optional address for the receipt,
    posted to POST /payments; `hidden` are the fields that name what is paid."""
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items()
    )
    return f"""<form class="hiroba-form" method="post" action="{API}/payments" novalidate>
{fields}<input type="hidden" name="idempotency_key" value="{new_key()}">
<div class="hiroba-form-group">
<fieldset class="hiroba-fieldset">
<legend class="hiroba-fieldset__legend">{escape(heading)}</legend>
<div class="hiroba-radios">
<div class="hiroba-radios__item"><input class="hiroba-radios__input" id="pay-method-card" name="method" type="radio" value="card" checked>
<label class="hiroba-label hiroba-radios__label" for="pay-method-card">クレジットカード（カード会社の画面で入力します）</label></div>
<div class="hiroba-radios__item"><input class="hiroba-radios__input" id="pay-method-payeasy" name="method" type="radio" value="payeasy">
<label class="hiroba-label hiroba-radios__label" for="pay-method-payeasy">ペイジー（ATM・インターネットバンキング）</label></div>
</div>
</fieldset>
</div>
<div class="hiroba-form-group">
<label class="hiroba-label" for="pay-email">領収のお知らせを受け取るメールアドレス（任意）</label>
<div class="hiroba-hint" id="pay-email-hint">入力すると、支払いが確認できたときに領収のお知らせを送ります。</div>
<input class="hiroba-input" id="pay-email" name="email" type="email" autocomplete="email" spellcheck="false" aria-describedby="pay-email-hint">
</div>
<button class="hiroba-button" type="submit">{_yen(amount)}を支払う</button>
</form>"""


def notice_page(view, raw):
    """A tax notice's amount due, and how to pay it."""
    if view["paid"]:
        action = '<p class="hiroba-panel__body">この税金は納付済みです。</p>'
    else:
        action = pay_form(
            {
                "kind": "tax",
                "notice_number": view["notice_number"],
                "confirmation": raw.get("confirmation", ""),
            },
            view["amount"],
        )
    subject = f"<dt>課税対象</dt><dd>{escape(view['subject'])}</dd>" if view["subject"] else ""
    body = f"""<h1>納付する税金の確認</h1>
<dl class="hiroba-summary-list">
<dt>税目</dt><dd>{escape(view["tax"])}</dd>
<dt>年度・期別</dt><dd>{view["fiscal_year"]}年度 {escape(view["period"])}</dd>
{subject}<dt>納付番号</dt><dd>{escape(view["notice_number"])}</dd>
<dt>納期限</dt><dd>{escape(view["due"])}</dd>
<dt>納付額</dt><dd><strong>{_yen(view["amount"])}</strong></dd>
</dl>
{action}
<p><a href="{TAX_FORM_PAGE}">別の納税通知書の番号を入力する</a></p>
"""
    return html("納付する税金の確認", body)


def _payeasy(view):
    numbers = view["payeasy"]
    return f"""<h2>ペイジーの番号</h2>
<dl class="hiroba-summary-list">
<dt>収納機関番号</dt><dd><strong class="hiroba-receipt-number">{escape(numbers["collector"])}</strong></dd>
<dt>お客様番号</dt><dd><strong class="hiroba-receipt-number">{escape(numbers["customer"])}</strong></dd>
<dt>確認番号</dt><dd><strong class="hiroba-receipt-number">{escape(numbers["confirmation"])}</strong></dd>
<dt>お支払い期限</dt><dd>{escape(jst(numbers["deadline"]))}まで</dd>
<dt>金額</dt><dd>{_yen(view["amount"])}</dd>
</dl>
<h2>ATMでのお支払い</h2>
<ol>
<li>ペイジーマークのあるATMで「税金・各種料金の払込み」を選びます。</li>
<li>収納機関番号、お客様番号、確認番号を入力します。</li>
<li>表示された内容と金額を確かめて、現金またはキャッシュカードで支払います。</li>
</ol>
<h2>インターネットバンキング・モバイルバンキングでのお支払い</h2>
<ol>
<li>お使いの銀行のサービスにログインし、「税金・各種料金の払込み（ペイジー）」を選びます。</li>
<li>上の3つの番号を入力し、内容を確かめて支払います。</li>
</ol>
<p>この画面を印刷するか、番号を書き留めてください。期限を過ぎると、この番号では支払えません。その場合は、もう一度手続きをしてください。</p>
<p>お支払いが確認できると、このページの状況が「納付済」になります（反映まで数分かかることがあります）。</p>"""


def _again(view):
    if view.get("payable_kind") == "tax":
        return f'<p><a href="{TAX_FORM_PAGE}">もう一度、納付番号を入力して支払う</a></p>'
    return f'<p><a href="{STATUS_FORM_PAGE}">申請状況の照会から、もう一度支払う</a></p>'


def status_page(view):
    """Where a payment stands; for Pay-easy the numbers and the instructions."""
    status = view["status"]
    if status == "success":
        detail = f'<p><a href="{escape(view["receipt_url"])}">領収の画面を見る</a></p>'
    elif view["method"] == "payeasy" and status == "started":
        detail = _payeasy(view)
    elif status == "started":
        detail = (
            f'<p><a class="hiroba-button" href="{escape(view["next_url"])}">カードのお支払い画面へ進む</a></p>'
            "<p>カード会社の画面でお支払いを終えると、この画面に戻ります。</p>"
        )
    elif status in ("created", "submitted"):
        detail = "<p>お支払いを確認しています。少し時間をおいて、このページを読み込み直してください。</p>"
    else:
        reasons = {
            "declined": "カード会社がこのお支払いを承認しませんでした。別のカードか、ペイジーでお支払いください。",
            "expired": "お支払いの期限が過ぎました。お金は引き落とされていません。",
            "cancelled": "お支払いを取りやめました。お金は引き落とされていません。",
            "error": "お支払いの処理中にエラーが起きました。お金は引き落とされていません。",
        }
        detail = f"<p>{reasons.get(status, '')}</p>{_again(view)}"
    body = f"""<h1>お支払いの状況</h1>
<div class="hiroba-panel" role="status">
<p class="hiroba-panel__body">いまの状況<br><strong class="hiroba-receipt-number">{escape(view["status_label"])}</strong></p>
</div>
<dl class="hiroba-summary-list">
<dt>内容</dt><dd>{escape(view["description"])}</dd>
<dt>金額</dt><dd>{_yen(view["amount"])}</dd>
<dt>お支払い方法</dt><dd>{escape(view["method_label"])}</dd>
<dt>お支払い番号</dt><dd>{escape(view["payment_id"])}</dd>
</dl>
{detail}
"""
    return html("お支払いの状況", body)


def receipt_page(view):
    """領収: the payment id, amount, method and time."""
    refunded = ""
    if view["refunded"]:
        refunded = f"<dt>返金</dt><dd>{_yen(view['refunded'])}</dd>"
    body = f"""<div class="hiroba-panel" role="status">
<h1 class="hiroba-panel__title">領収</h1>
<p class="hiroba-panel__body">お支払いを受け付けました<br><strong class="hiroba-receipt-number">{_yen(view["amount"])}</strong></p>
</div>
<dl class="hiroba-summary-list">
<dt>お支払い番号</dt><dd>{escape(view["payment_id"])}</dd>
<dt>内容</dt><dd>{escape(view["description"])}</dd>
<dt>金額</dt><dd>{_yen(view["amount"])}</dd>
<dt>お支払い方法</dt><dd>{escape(view["method_label"])}</dd>
<dt>お支払い日時</dt><dd>{escape(jst(view["paid_at"]))}</dd>
{refunded}<dt>受領者</dt><dd>宮城県</dd>
</dl>
<p>この画面を印刷して、領収書としてお使いいただけます。申請の状況は<a href="{STATUS_FORM_PAGE}">申請状況の照会</a>で確かめられます。</p>
"""
    return html("領収", body)


def error(problem, back=TAX_FORM_PAGE):
    return error_page(problem, back, field_id=field_id)
