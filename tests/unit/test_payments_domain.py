"""Payments without I/O: the states and their one table, the history, yen as integers, the
Pay-easy numbers, the notification signatures, Stripe's webhook check with real signatures
(the documented scheme), and the tax office's CSV."""

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from hiroba_core.domain.payment import (
    FAILED,
    FINAL,
    REFUND_TRANSITIONS,
    TRANSITIONS,
    PayEasyNumbers,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    is_customer_number,
    luhn_digit,
    path_to,
)
from hiroba_core.errors import InvalidTransition, SignatureInvalid
from hiroba_core.payments import signing
from hiroba_core.payments.providers.payeasy import new_numbers
from hiroba_core.payments.providers.stripe_checkout import StripeCheckout
from hiroba_core.services import payments as service
from hiroba_core.settings import Settings

S = PaymentStatus
AT = "2026-12-03T05:00:00+00:00"
SAMPLE = Path(__file__).resolve().parents[2] / "infra" / "tools" / "samples" / "tax-notices.csv"


def payment(**extra):
    data = {
        "id": "p1",
        "dantai": "040002",
        "department": "zeimu",
        "payable_kind": "tax",
        "payable_ref": "4026050100012345",
        "description": "自動車税（種別割） 2026年度 全期",
        "amount": 30500,
        "method": "card",
        "provider": "sandbox-card",
        "created_at": AT,
    }
    return Payment(**{**data, **extra})


def test_the_transitions_table_is_govuk_pays_graph():
    assert {
        (S.CREATED, S.STARTED),
        (S.STARTED, S.SUBMITTED),
        (S.SUBMITTED, S.SUCCESS),
    } <= TRANSITIONS
    assert {S.DECLINED, S.EXPIRED, S.CANCELLED, S.ERROR} == FAILED
    assert {S.SUCCESS, *FAILED} == FINAL
    for old in (S.CREATED, S.STARTED, S.SUBMITTED):
        assert all((old, failed) in TRANSITIONS for failed in FAILED)
    assert not any(old in FINAL for old, _ in TRANSITIONS)  # nothing leaves a final state
    assert (S.CREATED, S.SUCCESS) not in TRANSITIONS and (S.STARTED, S.SUCCESS) not in TRANSITIONS
    assert {
        (RefundStatus.SUBMITTED, RefundStatus.SUCCESS),
        (RefundStatus.SUBMITTED, RefundStatus.ERROR),
    } == REFUND_TRANSITIONS


def test_every_change_is_appended_to_the_history():
    made = payment()
    made.transition(S.STARTED, AT, by="provider:sandbox-card")
    changes = made.reach(S.SUCCESS, "2026-12-03T05:01:00+00:00", by="sandbox-card")
    assert [c.status for c in changes] == ["submitted", "success"]
    assert [c.status for c in made.history] == ["created", "started", "submitted", "success"]
    assert made.version == 4 and made.paid_at == "2026-12-03T05:01:00+00:00"
    assert made.refundable == 30500
    assert made.reach(S.SUCCESS, AT) == []  # already there: nothing changes twice


def test_a_final_payment_refuses_every_change():
    made = payment()
    made.transition(S.STARTED, AT)
    made.transition(S.CANCELLED, AT)
    for new in PaymentStatus:
        with pytest.raises(InvalidTransition) as refused:
            made.transition(new, AT)
        assert refused.value.allowed == ()
    assert made.refundable == 0


def test_path_to_goes_through_submitted():
    assert path_to(S.STARTED, S.SUCCESS) == [S.SUBMITTED, S.SUCCESS]
    assert path_to(S.CREATED, S.SUCCESS) == [S.STARTED, S.SUBMITTED, S.SUCCESS]
    assert path_to(S.STARTED, S.DECLINED) == [S.DECLINED]


@pytest.mark.parametrize("amount", [0, -400, 400.0, "400", True])
def test_amounts_are_positive_whole_yen(amount):
    with pytest.raises(ValueError):
        payment(amount=amount)


def test_a_refund_has_its_own_states():
    made = Refund("r1", "p1", 400, "1通分の取下げ", "staff", AT)
    made.transition(RefundStatus.SUCCESS, AT)
    with pytest.raises(InvalidTransition):
        made.transition(RefundStatus.ERROR, AT)
    assert [c.status for c in made.history] == ["submitted", "success"]
    with pytest.raises(ValueError):
        Refund("r2", "p1", 0, "x", "staff", AT)


def test_pay_easy_numbers():
    numbers = new_numbers("99041", AT)
    assert len(numbers.customer) == 16 and is_customer_number(numbers.customer)
    assert len(numbers.confirmation) == 6 and numbers.confirmation.isdigit()
    # a mistyped digit and a swap of neighbours no longer check
    customer = numbers.customer
    typo = customer[:3] + str((int(customer[3]) + 1) % 10) + customer[4:]
    assert not is_customer_number(typo)
    assert luhn_digit("7992739871") == "3"  # the textbook example
    for bad in (
        ("9904", customer, "123456"),
        ("99041", typo, "123456"),
        ("99041", customer, "12345"),
    ):
        with pytest.raises(ValueError):
            PayEasyNumbers(*bad, AT)


def test_signatures():
    body = b'{"status":"success"}'
    header = signing.sign("key", body, now=1000)
    assert signing.verify(["key"], header, body, now=1100)
    assert signing.verify(["old", "key"], header, body, now=1100)  # during a rotation
    assert not signing.verify(["key"], header, body + b" ", now=1100)
    assert not signing.verify(["key"], header, body, now=1000 + signing.TOLERANCE + 1)
    assert not signing.verify(["other"], header, body, now=1100)
    assert not signing.verify(["key"], "t=1000", body, now=1100)
    assert not signing.verify(["key"], None, body)


# ---------------------------------------------------------------- Stripe, offline

WEBHOOK_SECRET = "whsec_test_hiroba_0123456789abcdef"


def stripe_signature(payload, secret=WEBHOOK_SECRET, timestamp=None):
    """Stripe's documented scheme: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>."""
    timestamp = int(timestamp if timestamp is not None else time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def stripe_event(kind="checkout.session.completed", payment_status="paid", amount=30500):
    return json.dumps(
        {
            "id": "evt_1QhirobaTest",
            "object": "event",
            "api_version": "2025-09-30.clover",
            "type": kind,
            "data": {
                "object": {
                    "id": "cs_test_a1hiroba",
                    "object": "checkout.session",
                    "amount_total": amount,
                    "currency": "jpy",
                    "client_reference_id": "p1",
                    "metadata": {"payment_id": "p1"},
                    "payment_status": payment_status,
                    "status": "complete",
                }
            },
        }
    )


@pytest.fixture
def stripe_provider():
    return StripeCheckout(Settings(stripe_webhook_secret=WEBHOOK_SECRET))


def test_stripe_webhook_with_a_real_signature(stripe_provider):
    payload = stripe_event()
    note = stripe_provider.notification(
        {"Stripe-Signature": stripe_signature(payload)}, payload.encode()
    )
    assert (note.event_id, note.status, note.amount, note.payment_id) == (
        "evt_1QhirobaTest",
        "success",
        30500,
        "p1",
    )
    expired = stripe_event("checkout.session.expired", payment_status="unpaid")
    note = stripe_provider.notification(
        {"stripe-signature": stripe_signature(expired)}, expired.encode()
    )
    assert note.status == "expired"
    failed = stripe_event("checkout.session.async_payment_failed", payment_status="unpaid")
    note = stripe_provider.notification(
        {"Stripe-Signature": stripe_signature(failed)}, failed.encode()
    )
    assert note.status == "declined"


@pytest.mark.parametrize(
    "make_header",
    [
        lambda p: stripe_signature(p, secret="whsec_someone_else"),
        lambda p: stripe_signature(p, timestamp=time.time() - 3600),  # a replay an hour later
        lambda p: stripe_signature(p + " "),  # another body
        lambda p: "",
        lambda p: "t=1,v1=deadbeef",
    ],
)
def test_stripe_webhook_with_a_bad_signature_is_refused(stripe_provider, make_header):
    payload = stripe_event()
    with pytest.raises(SignatureInvalid):
        stripe_provider.notification({"Stripe-Signature": make_header(payload)}, payload.encode())


# ---------------------------------------------------------------- tax notices


def test_the_sample_file_loads_and_wrong_rows_are_named_by_line():
    text = SAMPLE.read_text("utf-8")
    notices = service.read_notice_rows(text, "secret-" * 6, {"040002"}, {"zeimu"})
    assert len(notices) == 10
    car = notices[0]
    assert (car.tax, car.amount, car.due, car.dantai) == (
        "自動車税（種別割）",
        30500,
        "2026-06-01",
        "040002",
    )
    assert "418257" not in json.dumps(car.__dict__)  # the 確認番号 only as a keyed hash
    lines = text.splitlines()
    broken = "\n".join([lines[0], lines[1].replace("30500", "三万"), lines[2], lines[2]]) + "\n"
    with pytest.raises(service.NoticeFileError) as error:
        service.read_notice_rows(broken, "secret-" * 6, {"040002"}, {"zeimu"})
    assert str(error.value).splitlines() == [
        "2: 金額は1以上の整数（円）です",
        "4: 納付番号 4026050100023456 が2回あります",
    ]
