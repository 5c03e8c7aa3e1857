"""The console's payment pages: a payment from its application, refunds with a reason (one
per form, however often it is posted; approvers and admins only), the reconciliation
(収納消込) as a table and as CSV with every cell neutralised; each action audited."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from hiroba_core.dates import JST
from hiroba_core.store.payments import PaymentsStore

from .conftest import Api
from .test_payments import _paid


@pytest.fixture(scope="module")
def sandbox(stack):
    return Api(stack.sandbox.url)


@pytest.fixture(scope="module")
def paid(procedures, sandbox):
    """A card payment of 1,200円 for a 宮城県 税務課 application."""
    return _paid(procedures, sandbox)


def _key(page):
    return re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)


def test_a_refund_from_the_application_page_is_made_once_and_audited(
    stack, signed_in, paid, procedures
):
    pid = paid["payment_id"]
    kacho = signed_in("zeimu-kacho")
    reference = PaymentsStore(stack.settings()).get_payment(pid).payable_ref
    application = kacho.get(f"/staff/applications/{reference}")
    assert f'href="/staff/payments/{pid}"' in application.text
    page = kacho.get(f"/staff/payments/{pid}")
    assert page.status == 200 and "1,200円" in page.text and "返金する" in page.text
    form = {
        "csrf": page.csrf(),
        "idempotency_key": _key(page),
        "amount": "４００",  # as typed with a Japanese keyboard
        "reason": "1通分の申請取下げ",
    }
    first = kacho.post(f"/staff/payments/{pid}/refunds", form)
    assert first.status == 303, first
    double = kacho.post(f"/staff/payments/{pid}/refunds", form)  # the button pressed twice
    assert double.status == 303 and double.location == first.location
    store = PaymentsStore(stack.settings())
    (made,) = store.list_refunds(pid)
    assert (made.amount, made.reason, made.status.value) == (400, "1通分の申請取下げ", "success")
    assert store.get_payment(pid).refunded == 400
    shown = kacho.get(f"/staff/payments/{pid}")
    assert "1通分の申請取下げ" in shown.text and "800円" in shown.text
    # a new form is a new key: more than is left is refused, with the page and its message
    too_much = kacho.post(
        f"/staff/payments/{pid}/refunds",
        {"csrf": page.csrf(), "idempotency_key": _key(shown), "amount": "900", "reason": "誤り"},
    )
    assert too_much.status == 409 and "800円までです" in too_much.text
    no_reason = kacho.post(
        f"/staff/payments/{pid}/refunds",
        {"csrf": page.csrf(), "idempotency_key": _key(shown), "amount": "100", "reason": ""},
    )
    assert no_reason.status == 422 and "返金の理由を入力してください" in no_reason.text
    assert len(store.list_refunds(pid)) == 1
    trail = signed_in("miyagi-admin").get("/staff/audit").text
    assert trail.count(f"{pid}</td><td>400円 {made.id}") == 1  # once, with its transaction


def test_staff_see_a_payment_but_only_approvers_refund(stack, signed_in, paid):
    pid = paid["payment_id"]
    staff = signed_in("zeimu-staff")
    page = staff.get(f"/staff/payments/{pid}")
    assert page.status == 200 and 'name="idempotency_key"' not in page.text
    refused = staff.post(
        f"/staff/payments/{pid}/refunds",
        {"csrf": page.csrf(), "idempotency_key": "k" * 20, "amount": "1", "reason": "x"},
    )
    assert refused.status == 403
    found = staff.get(f"/staff/payments?payment_id={pid}")
    assert found.status == 303 and found.location == f"/staff/payments/{pid}"
    assert staff.get("/staff/payments/no-such-payment").status == 404


def test_reconciliation_table_and_csv_neutralised_and_audited(stack, signed_in, paid):
    today = datetime.now(JST).date().isoformat()
    settlement = stack.sandbox.state_dir / "settlements" / f"card-{today}.csv"
    with settlement.open("a", encoding="utf-8", newline="") as file:  # a row we never made
        csv.writer(file, lineterminator="\r\n").writerow(
            ["payment", '=HYPERLINK("http://evil")', "x", 100, datetime.now(UTC).isoformat()]
        )
    staff = signed_in("zeimu-staff")
    page = staff.get(f"/staff/reconciliation?date={today}")
    assert page.status == 200 and paid["payment_id"] in page.text and "一致" in page.text
    assert "こちらの記録なし" in page.text and "=HYPERLINK(&#34;" in page.text  # text
    exported = staff.get(f"/staff/reconciliation.csv?date={today}")
    assert exported.status == 200 and exported.text.startswith("\ufeffdate,")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert any(r["payment_id"] == paid["payment_id"] and r["result"] == "matched" for r in rows)
    assert any(r["payment_id"] == '\'=HYPERLINK("http://evil")' for r in rows)
    assert all(not r["payment_id"].startswith("=") for r in rows)
    assert all(r["department"] in ("zeimu", "") for r in rows)  # staff: their department
    bad = staff.get("/staff/reconciliation?date=yesterday")
    assert bad.status == 422 and "日付を" in bad.text
    trail = signed_in("miyagi-admin").get("/staff/audit").text
    assert f"収納消込 {today}" in trail
    # a viewer may look at payments but not export
    assert signed_in("zeimu-viewer").get(f"/staff/reconciliation?date={today}").status == 403
