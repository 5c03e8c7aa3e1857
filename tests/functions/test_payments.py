"""Payments (issue #14) over HTTP against the real stack: the procedures app, the sandbox card
acquirer and Pay-easy bank (infra/local/sandbox_payments.py), moto DynamoDB on loopback.
The resident's part on the sandbox's pages is done by posting its forms, as a browser
without script would (tests/browser/test_payments_browser.py does it in Chromium)."""

import csv
import email
import email.policy
import io
import json
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hiroba_core.domain.payment import is_customer_number
from hiroba_core.payments import signing
from hiroba_core.services import payments as service
from hiroba_core.store import payments as items
from hiroba_core.store.payments import JST, PaymentsStore

from .conftest import Api
from .test_procedures_api import HANDSET, _sjis_form, applied, body

NOTICE = ("4026050100012345", "418257")  # infra/tools/samples/tax-notices.csv
WAIT = 10


@pytest.fixture(scope="module")
def store(stack):
    return PaymentsStore(stack.settings())


@pytest.fixture(scope="module")
def sandbox(stack):
    return Api(stack.sandbox.url)


def fee_application(procedures, copies=2):
    made = applied(procedures, body(answers={"copies": copies}))
    return {"reference": made["reference"], "inquiry_code": made["inquiry_code"]}


def create(procedures, data, key=None, client=None):
    headers = {"X-Forwarded-For": client or Api.client_ip()}
    if key is not False:
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return procedures.request("POST", "/payments", data, headers)


def created(procedures, data, **kwargs):
    reply = create(procedures, data, **kwargs)
    assert reply.status == 201, reply
    return reply.json()


def card_page_id(view):
    return urllib.parse.urlsplit(view["next_url"]).path.rsplit("/", 1)[1]


def pay_by_card(sandbox, view, number="4111111111111111", cvc="123", action="pay"):
    form = urllib.parse.urlencode(
        {"card_number": number, "expiry": "12/30", "cvc": cvc, "action": action}
    ).encode()
    return sandbox.request(
        "POST",
        f"/card/{card_page_id(view)}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        raw=form,
    )


def status_of(procedures, pid):
    return procedures.request("GET", f"/payments/{pid}").json()


def wait_for(procedures, pid, status):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        view = status_of(procedures, pid)
        if view["status"] == status:
            return view
        time.sleep(0.05)
    raise AssertionError(f"payment {pid} is {view['status']}, not {status}")


def inquiry(procedures, numbers):
    headers = {"X-Forwarded-For": Api.client_ip()}
    return procedures.request("POST", "/inquiries", numbers, headers).json()


def signed(stack, data):
    raw = json.dumps(data).encode()
    return raw, {
        "Content-Type": "application/json",
        signing.HEADER: signing.sign(stack.payments_key, raw),
    }


# ---------------------------------------------------------------- card


def test_a_fee_paid_by_card_is_paid_once_and_the_inquiry_says_so(stack, procedures, sandbox):
    numbers = fee_application(procedures, copies=2)
    assert inquiry(procedures, numbers)["payment_label"] == "未納"
    handset = procedures.request(
        "POST",
        "/m/inquiries",
        raw=_sjis_form(numbers),
        headers={"X-Forwarded-For": Api.client_ip(), **HANDSET},
    )
    assert "手数料: 800円（未納）" in handset.body.decode("cp932")
    view = created(procedures, {"kind": "application", "method": "card", **numbers})
    assert view["status"] == "started" and view["amount"] == 800
    assert view["description"].endswith("手数料（2通）")
    assert view["next_url"].startswith(stack.sandbox.url + "/card/")
    page = sandbox.request("GET", f"/card/{card_page_id(view)}")
    assert page.status == 200 and "800円を支払う" in page.text()
    answer = pay_by_card(sandbox, view)
    assert answer.status == 303
    assert answer.headers["location"].endswith(
        f"/api/procedures/payments/{view['payment_id']}/return"
    )
    paid = wait_for(procedures, view["payment_id"], "success")  # from the notification
    assert paid["paid_at"]
    answer = procedures.request("GET", f"/payments/{view['payment_id']}/return")
    assert answer.status == 303 and answer.headers["location"].endswith("/receipt")
    found = inquiry(procedures, numbers)
    assert (found["payment"], found["payment_label"]) == ("paid", "納付済")
    # ポケットみやぎ's inquiry (Shift_JIS) says the same
    handset = procedures.request(
        "POST",
        "/m/inquiries",
        raw=_sjis_form(numbers),
        headers={"X-Forwarded-For": Api.client_ip(), **HANDSET},
    )
    assert "手数料: 800円（納付済）" in handset.body.decode("cp932")
    again = create(procedures, {"kind": "application", "method": "card", **numbers})
    assert again.status == 409 and again.json()["type"].endswith("/already-paid")


@pytest.mark.parametrize(
    ("number", "status", "reason"),
    [
        ("4000000000000002", "declined", "card_declined"),
        ("4000000000000069", "declined", "expired_card"),
        ("4000000000000127", "declined", "incorrect_cvc"),
        ("4000000000000119", "error", "processing_error"),
    ],
)
def test_test_cards_end_in_their_outcome(procedures, sandbox, store, number, status, reason):
    view = created(
        procedures, {"kind": "application", "method": "card", **fee_application(procedures)}
    )
    assert pay_by_card(sandbox, view, number).status == 303
    # the return re-reads the acquirer: the outcome is known before any notification
    procedures.request("GET", f"/payments/{view['payment_id']}/return")
    assert status_of(procedures, view["payment_id"])["status"] == status
    history = store.get_payment(view["payment_id"]).history
    assert [c.status for c in history] == ["created", "started", status]
    assert history[-1].reason == reason


def test_three_d_secure_challenge(procedures, sandbox):
    view = created(
        procedures, {"kind": "application", "method": "card", **fee_application(procedures)}
    )
    answer = pay_by_card(sandbox, view, "4000000000003220")
    assert answer.status == 303 and answer.headers["location"].endswith("/3ds")
    challenge = sandbox.request("GET", f"/card/{card_page_id(view)}/3ds")
    assert "123456" in challenge.text()
    sandbox.request(
        "POST",
        f"/card/{card_page_id(view)}/3ds",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        raw=b"code=123456&action=verify",
    )
    wait_for(procedures, view["payment_id"], "success")


def test_cancel_on_the_card_page(procedures, sandbox):
    view = created(
        procedures, {"kind": "application", "method": "card", **fee_application(procedures)}
    )
    assert pay_by_card(sandbox, view, action="cancel").status == 303
    procedures.request("GET", f"/payments/{view['payment_id']}/return")
    assert status_of(procedures, view["payment_id"])["status"] == "cancelled"


def test_the_return_alone_decides_nothing(procedures, store):
    """Coming back before paying (or a forged return) leaves the payment started."""
    view = created(
        procedures, {"kind": "application", "method": "card", **fee_application(procedures)}
    )
    answer = procedures.request("GET", f"/payments/{view['payment_id']}/return")
    assert answer.status == 303 and answer.headers["location"].endswith(view["payment_id"])
    assert store.get_payment(view["payment_id"]).status == "started"


# ---------------------------------------------------------------- exactly once


def test_twenty_concurrent_creates_with_one_key_make_one_payment(procedures, store):
    numbers = fee_application(procedures)
    key, replies = str(uuid.uuid4()), []
    data = {"kind": "application", "method": "card", **numbers}

    def send():
        replies.append(create(procedures, data, key=key))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in replies) == [200] * 19 + [201], replies
    ids = {r.json()["payment_id"] for r in replies}
    assert len(ids) == 1
    payment = store.get_payment(ids.pop())
    assert payment.status == "started" and payment.provider_ref


def test_same_key_other_body_is_a_conflict(procedures):
    numbers, key = fee_application(procedures), str(uuid.uuid4())
    created(procedures, {"kind": "application", "method": "card", **numbers}, key=key)
    other = create(procedures, {"kind": "application", "method": "payeasy", **numbers}, key=key)
    assert other.status == 409 and other.json()["type"].endswith("/idempotency-conflict")


def test_create_needs_a_key_and_valid_fields(procedures):
    numbers = fee_application(procedures)
    assert (
        create(procedures, {"kind": "application", "method": "card", **numbers}, key=False).status
        == 422
    )
    bad = create(procedures, {"kind": "coupon", "method": "cash"})
    assert bad.status == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"kind", "method"}
    wrong = create(
        procedures,
        {"kind": "application", "method": "card", **numbers, "inquiry_code": "ACEFG-HJKMN"},
    )
    assert wrong.status == 404


def test_notification_replayed_five_times_and_raced_with_the_return(
    stack, procedures, sandbox, store
):
    numbers = fee_application(procedures)
    view = created(procedures, {"kind": "application", "method": "card", **numbers})
    stack.sandbox.hold = True
    try:
        pay_by_card(sandbox, view)
        ((url, raw),) = [
            h for h in stack.sandbox.held if json.loads(h[1])["reference"] == view["payment_id"]
        ]
        stack.sandbox.held.clear()
    finally:
        stack.sandbox.hold = False
    path = urllib.parse.urlsplit(url).path
    replies = []

    def notify():
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(stack.payments_key, raw),
        }
        replies.append(procedures.request("POST", path, headers=headers, raw=raw))

    def come_back():
        replies.append(procedures.request("GET", f"/payments/{view['payment_id']}/return"))

    threads = [threading.Thread(target=notify) for _ in range(5)] + [
        threading.Thread(target=come_back)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status in (200, 303) for r in replies), replies
    payment = store.get_payment(view["payment_id"])
    assert payment.status == "success"
    assert [c.status for c in payment.history].count("success") == 1
    assert store.get_application(numbers["reference"].replace("-", "")).paid_payment == payment.id
    results = [r.json()["result"] for r in replies if r.status == 200]
    assert results.count("applied") <= 1 and "flagged" not in results


def test_bad_signature_is_refused_and_nothing_changes(stack, procedures, store):
    view = created(
        procedures, {"kind": "application", "method": "card", **fee_application(procedures)}
    )
    data = {
        "event_id": "evt_forged",
        "payment": "x",
        "reference": view["payment_id"],
        "status": "success",
        "amount": 400,
    }
    raw = json.dumps(data).encode()
    for header in (
        "",
        "t=1,v1=00",
        signing.sign("not-the-key", raw),
        signing.sign(stack.payments_key, raw, now=time.time() - 3600),
    ):
        reply = procedures.request(
            "POST",
            "/payments/notifications/sandbox-card",
            headers={"Content-Type": "application/json", signing.HEADER: header},
            raw=raw,
        )
        assert reply.status == 403, reply
        assert reply.json()["type"].endswith("/invalid-signature")
    assert store.get_payment(view["payment_id"]).status == "started"


def test_wrong_amount_unknown_and_final_are_flagged_not_applied(stack, procedures, sandbox, store):
    view = created(
        procedures, {"kind": "application", "method": "card", **fee_application(procedures)}
    )
    pid = view["payment_id"]
    cases = {
        "amount-mismatch": {"reference": pid, "amount": 1},
        "unknown-payment": {"reference": "no-such-payment", "amount": 400},
    }
    for reason, data in cases.items():
        event = f"evt_{uuid.uuid4().hex}"
        raw, headers = signed(
            stack, {"event_id": event, "payment": "p", "status": "success", **data}
        )
        reply = procedures.request(
            "POST", "/payments/notifications/sandbox-card", headers=headers, raw=raw
        )
        assert reply.status == 200 and reply.json() == {"result": "flagged", "reason": reason}
        assert store.get_flagged("sandbox-card", event)["reason"] == reason
    assert store.get_payment(pid).status == "started"
    # cancelled on the card page, then a "success" arrives: flagged, the payment stays cancelled
    pay_by_card(sandbox, view, action="cancel")
    wait_for(procedures, pid, "cancelled")
    raw, headers = signed(
        stack,
        {
            "event_id": "evt_late",
            "payment": "p",
            "reference": pid,
            "status": "success",
            "amount": view["amount"],
        },
    )
    reply = procedures.request(
        "POST", "/payments/notifications/sandbox-card", headers=headers, raw=raw
    )
    assert reply.json() == {"result": "flagged", "reason": "final-cancelled"}
    assert store.get_payment(pid).status == "cancelled"
    assert store.get_application(store.get_payment(pid).payable_ref).paid_payment == ""


# ---------------------------------------------------------------- expiry


def test_expiry_with_the_clock_set_by_the_test(procedures, sandbox, store):
    view = created(
        procedures, {"kind": "application", "method": "card", **fee_application(procedures)}
    )
    pid = view["payment_id"]
    created_at = datetime.fromisoformat(store.get_payment(pid).created_at)
    assert pid not in service.expire_due(store, now=created_at + timedelta(minutes=89))
    assert store.get_payment(pid).status == "started"
    assert pid in service.expire_due(store, now=created_at + timedelta(minutes=91))
    payment = store.get_payment(pid)
    # expired by the sweep, or by the acquirer's notification once the sweep cancelled it there
    assert payment.status == "expired" and payment.history[-1].by in ("sweep", "sandbox-card")
    # the acquirer no longer takes it: its page sends the resident back
    assert pay_by_card(sandbox, view).status == 303
    procedures.request("GET", f"/payments/{pid}/return")
    assert store.get_payment(pid).status == "expired"
    assert pid not in service.expire_due(store, now=created_at + timedelta(minutes=200))
    assert "expired" not in [c.status for c in payment.history[:-1]]


# ---------------------------------------------------------------- Pay-easy and tax notices


def test_tax_notice_lookup(procedures):
    headers = {"X-Forwarded-For": Api.client_ip()}
    found = procedures.request(
        "POST",
        "/tax-notices/lookup",
        {"notice_number": "4026-0501-0002-3456", "confirmation": "９０２１１４"},
        headers,
    )
    assert found.status == 200, found
    assert found.json()["amount"] == 36000 and found.json()["tax"] == "自動車税（種別割）"
    wrong = procedures.request(
        "POST",
        "/tax-notices/lookup",
        {"notice_number": "4026050100023456", "confirmation": "000000"},
        headers,
    )
    assert wrong.status == 404
    bad = procedures.request(
        "POST", "/tax-notices/lookup", {"notice_number": "12", "confirmation": ""}, headers
    )
    assert bad.status == 422 and {e["field"] for e in bad.json()["errors"]} == {
        "notice_number",
        "confirmation",
    }


def test_a_tax_notice_paid_with_pay_easy_at_the_sandbox_atm(stack, procedures, sandbox, store):
    number, confirmation = NOTICE
    view = created(
        procedures,
        {
            "kind": "tax",
            "method": "payeasy",
            "notice_number": number,
            "confirmation": confirmation,
            "email": "taro@example.jp",
        },
    )
    numbers = view["payeasy"]
    assert numbers["collector"] == "99041" and len(numbers["confirmation"]) == 6
    assert is_customer_number(numbers["customer"])
    deadline = datetime.fromisoformat(numbers["deadline"]).astimezone(JST)
    assert (deadline.hour, deadline.minute) == (23, 59)
    form = {
        "collector": numbers["collector"],
        "customer": numbers["customer"],
        "confirmation": "000000",
    }
    post = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = sandbox.request(
        "POST", "/bank/lookup", headers=post, raw=urllib.parse.urlencode(form).encode()
    )
    assert refused.status == 400
    form["confirmation"] = numbers["confirmation"]
    shown = sandbox.request(
        "POST", "/bank/lookup", headers=post, raw=urllib.parse.urlencode(form).encode()
    )
    assert shown.status == 200 and "30,500円" in shown.text()
    done = sandbox.request(
        "POST", "/bank/pay", headers=post, raw=urllib.parse.urlencode(form).encode()
    )
    assert "お支払いが完了しました" in done.text()
    wait_for(procedures, view["payment_id"], "success")
    assert store.get_notice(number).paid_payment == view["payment_id"]
    # the receipt went to the address given, once
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not _receipts(stack, view["payment_id"]):
        time.sleep(0.05)
    assert len(_receipts(stack, view["payment_id"])) == 1
    receipt = procedures.request(
        "GET", f"/payments/{view['payment_id']}/receipt", headers={"Accept": "text/html"}
    )
    assert receipt.status == 200 and "領収" in receipt.text() and "30,500円" in receipt.text()


def _receipts(stack, pid):
    found = []
    for path in stack.mail.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if pid in message.get_body(("plain",)).get_content():
            found.append(message)
    return found


def test_pay_easy_numbers_expire_at_their_deadline(procedures, store, sandbox):
    view = created(
        procedures,
        {
            "kind": "tax",
            "method": "payeasy",
            "notice_number": "4026050100034567",
            "confirmation": "375530",
        },
    )
    deadline = datetime.fromisoformat(view["payeasy"]["deadline"])
    assert view["payment_id"] not in service.expire_due(store, now=deadline - timedelta(minutes=1))
    assert view["payment_id"] in service.expire_due(store, now=deadline + timedelta(seconds=1))
    numbers = view["payeasy"]
    form = urllib.parse.urlencode(
        {k: numbers[k] for k in ("collector", "customer", "confirmation")}
    ).encode()
    late = sandbox.request(
        "POST", "/bank/pay", headers={"Content-Type": "application/x-www-form-urlencoded"}, raw=form
    )
    assert late.status == 409


# ---------------------------------------------------------------- refunds and reconciliation


def _paid(procedures, sandbox):
    view = created(
        procedures,
        {"kind": "application", "method": "card", **fee_application(procedures, copies=3)},
    )
    pay_by_card(sandbox, view)
    return wait_for(procedures, view["payment_id"], "success")


def test_partial_and_full_refunds_with_a_reason(procedures, sandbox, staff_token):
    view = _paid(procedures, sandbox)
    pid, auth = view["payment_id"], {"Authorization": f"Bearer {staff_token('approver', 'zeimu')}"}
    path = f"/staff/payments/{pid}/refunds"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = procedures.request(
        "POST", path, {"amount": 400, "reason": "1通分の申請取下げ"}, {**auth, **key}
    )
    assert first.status == 201, first
    assert first.json()["refund"]["status"] == "success"
    again = procedures.request(
        "POST", path, {"amount": 400, "reason": "1通分の申請取下げ"}, {**auth, **key}
    )
    assert (
        again.status == 200
        and again.json()["refund"]["refund_id"] == first.json()["refund"]["refund_id"]
    )
    too_much = procedures.request(
        "POST",
        path,
        {"amount": 1000, "reason": "誤り"},
        {**auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert too_much.status == 409 and too_much.json()["refundable"] == 800
    rest = procedures.request(
        "POST",
        path,
        {"reason": "二重納付のため全額返金"},
        {**auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert rest.status == 201 and rest.json()["refund"]["amount"] == 800
    record = procedures.request("GET", f"/staff/payments/{pid}", headers=auth).json()
    assert record["refunded"] == 1200 and record["refundable"] == 0
    assert [r["reason"] for r in record["refunds"]].count("1通分の申請取下げ") == 1
    no_reason = procedures.request(
        "POST", path, {"amount": 1}, {**auth, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert no_reason.status == 422
    other = {"Authorization": f"Bearer {staff_token(department='koho')}"}
    assert procedures.request("GET", f"/staff/payments/{pid}", headers=other).status == 403


def test_reconciliation_lists_matches_and_every_mismatch(stack, procedures, sandbox, staff_token):
    view = _paid(procedures, sandbox)
    today = datetime.now(JST).date().isoformat()
    # the acquirer settled something we never held as paid
    settlement = stack.sandbox.state_dir / "settlements" / f"card-{today}.csv"
    with settlement.open("a", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\r\n").writerow(
            ["payment", "ghost-payment", "pay_ghost", 400, datetime.now(UTC).isoformat()]
        )
    auth = {"Authorization": f"Bearer {staff_token('approver', 'zeimu')}"}
    refund = procedures.request(
        "POST",
        f"/staff/payments/{view['payment_id']}/refunds",
        {"amount": 400, "reason": "1通分の取下げ"},
        {**auth, "Idempotency-Key": str(uuid.uuid4())},
    ).json()["refund"]
    reply = procedures.request(
        "GET", f"/staff/reconciliation?dantai=040002&date={today}", headers=auth
    )
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text())))
    mine = [r for r in rows if r["payment_id"] == view["payment_id"] and r["kind"] == "payment"]
    assert mine == [
        {
            **mine[0],
            "kind": "payment",
            "our_amount": "1200",
            "provider_amount": "1200",
            "result": "matched",
        }
    ]
    assert any(r["payment_id"] == "ghost-payment" and r["result"] == "missing-here" for r in rows)
    (refunded,) = [r for r in rows if r["refund_id"] == refund["refund_id"]]
    assert refunded["payment_id"] == view["payment_id"]
    assert (refunded["kind"], refunded["our_amount"], refunded["result"]) == (
        "refund",
        "400",
        "matched",
    )
    assert all(r["department"] in ("zeimu", "") for r in rows)
    bad = procedures.request("GET", "/staff/reconciliation?dantai=123&date=yesterday", headers=auth)
    assert bad.status == 422


def test_a_payment_holds_no_card_data_and_personal_data_expires(
    stack, procedures, sandbox, store, procedures_db
):
    view = _paid(procedures, sandbox)
    client, table = procedures_db
    found = client.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"PAYMENT#{view['payment_id']}"}},
    )["Items"]
    text = json.dumps(found)
    assert "4111" not in text and "12/30" not in text
    assert {i["sk"]["S"].split("#")[0] for i in found} >= {"PAYMENT", "EVENT"}
    for item in found:
        if item["sk"]["S"] != "PAYMENT":
            assert "expires_at" in item, item
    assert items.payment_key(view["payment_id"])["pk"] == f"PAYMENT#{view['payment_id']}"


def test_guessing_numbers_through_payments_hits_the_inquiry_limit(procedures, stack):
    """Each create checks a secret (問合せ番号 or 確認番号): it counts like an inquiry."""
    numbers, client = fee_application(procedures), Api.client_ip()
    limit = stack.settings().inquiry_rate_limit
    statuses = []
    for n in range(limit + 1):
        guess = {**numbers, "inquiry_code": f"ACEFG-HJK{'MNPRT'[n % 5]}{'MNPRT'[n // 5 % 5]}"}
        statuses.append(
            create(
                procedures, {"kind": "application", "method": "card", **guess}, client=client
            ).status
        )
    assert statuses[:limit] == [404] * limit and statuses[-1] == 429


def test_a_notice_paid_twice_keeps_both_and_flags_the_second(procedures, sandbox, store):
    """Two tabs: both payments started before either was paid. The money of the second is
    not lost (it stays a success) but the notice names the first, and staff see a flag."""
    data = {
        "kind": "tax",
        "method": "card",
        "notice_number": "4026080100067890",
        "confirmation": "514093",
    }
    first, second = created(procedures, data), created(procedures, data)
    pay_by_card(sandbox, first)
    wait_for(procedures, first["payment_id"], "success")
    pay_by_card(sandbox, second)
    wait_for(procedures, second["payment_id"], "success")
    assert store.get_notice("4026080100067890").paid_payment == first["payment_id"]
    flags = [f for f in store.flagged() if f["reason"] == "paid-twice"]
    assert any(f["detail"]["payment_id"] == second["payment_id"] for f in flags)
    assert create(procedures, data).status == 409  # already paid
