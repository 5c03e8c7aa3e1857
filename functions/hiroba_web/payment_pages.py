"""The payment pages the procedures API answers to browsers (no script needed): the amount
of a tax notice with the choice of method, the Pay-easy numbers with instructions, the
state of a payment, and the receipt (領収). Each is a template of the theme
(theme/templates/app/payment-*.html); the pay form is app/payment-form.html, which the
status of an application (app/procedure-status.html) includes too."""

import secrets

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


def pay_form(hidden, amount):
    """What theme/templates/app/payment-form.html needs to pay `amount`: `hidden` are the
    fields that name what is paid, with a new Idempotency-Key for this page."""
    return {"action": f"{API}/payments", "fields": hidden, "key": new_key(), "amount": amount}


def _page(template, title, **context):
    return html(
        template, title=title, tax_form=TAX_FORM_PAGE, status_form=STATUS_FORM_PAGE, **context
    )


def notice_page(view, raw):
    """A tax notice's amount due, and how to pay it (the form, unless it is paid)."""
    pay = None
    if not view["paid"]:
        hidden = {
            "kind": "tax",
            "notice_number": view["notice_number"],
            "confirmation": raw.get("confirmation", ""),
        }
        pay = pay_form(hidden, view["amount"])
    return _page("app/payment-notice.html", "納付する税金の確認", view=view, pay=pay)


def status_page(view):
    """Where a payment stands; for Pay-easy the numbers and the instructions."""
    return _page("app/payment-status.html", "お支払いの状況", view=view)


def receipt_page(view):
    """領収: the payment id, amount, method and time."""
    return _page("app/payment-receipt.html", "領収", view=view)


def error(problem, back=TAX_FORM_PAGE):
    return error_page(problem, back, field_id=field_id)
