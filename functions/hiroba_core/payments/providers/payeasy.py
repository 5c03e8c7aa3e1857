"""Pay-easy (ペイジー): the 団体 issues a 収納機関番号 (its own, 5 digits), an お客様番号 per
payment (with a check digit) and a 確認番号 (6 digits) with a deadline; the resident pays
at an ATM or in online banking; the bank's network notifies us, signed. Locally the
sandbox bank (infra/local/sandbox_payments.py, /bank/) is where a person "pays at an ATM".

The bill is registered with the collecting service when the numbers are issued, so the ATM
can show the amount and refuse a wrong 確認番号 or a payment after the deadline.
"""

import json
import secrets

from ...domain.payment import PayEasyNumbers, luhn_digit
from ...errors import SignatureInvalid
from .. import signing
from .base import Notification, Outcome, SignedClient, Started, header
from .sandbox_card import read_settlement

CUSTOMER_DIGITS = 16  # 15 random digits and the check digit


def new_numbers(collector, deadline):
    body = "".join(secrets.choice("0123456789") for _ in range(CUSTOMER_DIGITS - 1))
    confirmation = "".join(secrets.choice("0123456789") for _ in range(6))
    return PayEasyNumbers(collector, body + luhn_digit(body), confirmation, deadline)


class PayEasy:
    name = "payeasy"
    method = "payeasy"

    def __init__(self, settings):
        self.key = settings.payeasy_key
        self.collector = settings.payeasy_collector
        self.client = SignedClient(settings.payeasy_url, self.key)

    def start(self, payment, return_url):
        numbers = new_numbers(self.collector, payment.expires_at)
        self.client.call(
            "POST",
            "/v1/bills",
            {
                **numbers.as_dict(),
                "reference": payment.id,
                "amount": payment.amount,
                "description": payment.description,
            },
        )
        return Started("", numbers.customer, numbers.as_dict())

    def status(self, payment):
        answer = self.client.call("GET", f"/v1/bills/{payment.provider_ref}")
        return Outcome(answer["status"], int(answer["amount"]), answer.get("reason", ""))

    def notification(self, headers, body, now=None):
        if not signing.verify([self.key], header(headers, signing.HEADER), body, now):
            raise SignatureInvalid()
        data = json.loads(body)
        return Notification(
            event_id=str(data["event_id"]),
            status=str(data["status"]),
            amount=int(data["amount"]),
            customer=str(data["customer"]),
            provider_ref=str(data["customer"]),
        )

    def refund(self, payment, refund):
        # the bank network does not refund: the collecting service transfers the money
        # back to the payer's account (還付) and confirms it
        answer = self.client.call(
            "POST",
            f"/v1/bills/{payment.provider_ref}/refunds",
            {"amount": refund.amount, "reference": refund.id},
        )
        return Outcome(answer["status"], int(answer["amount"]), provider_ref=answer["id"])

    def cancel(self, payment):
        if payment.provider_ref:
            self.client.call("POST", f"/v1/bills/{payment.provider_ref}/expire", {})

    def settlement(self, day):
        return read_settlement(self.client.call("GET", f"/v1/bank-settlements/{day}", raw=True))
