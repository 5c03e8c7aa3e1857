"""The answers to a status inquiry (申請状況の照会) posted from a form: for browsers without
script (a page of the theme like pages.py) and for feature phones (Shift_JIS XHTML Basic,
keitai.py).

The forms are /procedures/status/ and /m/procedures/status/ on the site; their fields are
`reference` (到達番号, id inquiry-reference) and `inquiry_code` (問合せ番号, id inquiry-code).
"""

from hiroba_core.dates import format_jst as jst

from . import keitai, payment_pages
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


def _pay(view, inquiry_code):
    """The form that pays an unpaid fee: the numbers just typed name the application."""
    if view.get("payment") != "unpaid" or not inquiry_code:
        return None
    hidden = {"kind": "application", "reference": view["reference"], "inquiry_code": inquiry_code}
    return payment_pages.pay_form(hidden, view["fee"])


DOCUMENT_ACTION = "/api/procedures/inquiries/document"


def status_page(view, inquiry_code=None):
    """The status of one application (inquiry_view) as a page of the site, with the
    download of its issued document when there is one: a button posting the two numbers
    again (the page itself is no-store; the code is the applicant's own)."""
    document = view.get("document")
    return html(
        "app/procedure-status.html",
        title="申請の状況",
        view=view,
        fee=_fee(view),
        form_page=FORM_PAGE,
        document=document if document and document["issued"] and inquiry_code else None,
        inquiry_code=inquiry_code,
        document_action=DOCUMENT_ACTION,
        pay=_pay(view, inquiry_code),
    )


def error(problem):
    """GOV.UK error summary linking to #inquiry-reference and #inquiry-code."""
    return error_page(problem, FORM_PAGE, field_id=field_id)


# ---------------------------------------------------------------- feature phones

AGAIN = (MOBILE_FORM_PAGE, "もう一度照会", "9")


def mobile_status_page(view):
    return keitai.page(
        "mobile/app-status.html",
        [AGAIN],
        title="申請状況",
        view=view,
        history=[(jst(c["at"]), c["status_label"]) for c in view["history"][-MAX_MOBILE_HISTORY:]],
        fee=_fee(view),
    )


def mobile_error(problem):
    return keitai.error_page(problem, AGAIN)
