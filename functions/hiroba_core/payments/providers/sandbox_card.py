"""The sandbox card acquirer (infra/local/sandbox_payments.py): a hosted card page, test
card numbers, an HMAC-signed notification. It stands in for a real acquirer locally and in
the tests; its protocol is the shape of the real ones (create a session, send the resident
to its page, re-read the status, receive a signed webhook, refund, a settlement file)."""

import csv
import io
import json

from ...errors import SignatureInvalid
from .. import signing
from .base import Notification, Outcome, SettlementRow, SignedClient, Started, header


class SandboxCard:
    name = "sandbox-card"
    method = "card"

    def __init__(self, settings):
        self.key = settings.card_acquirer_key
        self.client = SignedClient(settings.card_acquirer_url, self.key)

    def start(self, payment, return_url):
        answer = self.client.call(
            "POST",
            "/v1/payments",
            {
                "reference": payment.id,
                "amount": payment.amount,
                "description": payment.description,
                "return_url": return_url,
            },
        )
        return Started(answer["next_url"], answer["id"])

    def status(self, payment):
        answer = self.client.call("GET", f"/v1/payments/{payment.provider_ref}")
        return Outcome(answer["status"], int(answer["amount"]), answer.get("reason", ""))

    def notification(self, headers, body, now=None):
        if not signing.verify([self.key], header(headers, signing.HEADER), body, now):
            raise SignatureInvalid()
        data = json.loads(body)
        return Notification(
            event_id=str(data["event_id"]),
            status=str(data["status"]),
            amount=int(data["amount"]),
            payment_id=str(data["reference"]),
            reason=str(data.get("reason", "")),
            provider_ref=str(data["payment"]),
        )

    def refund(self, payment, refund):
        answer = self.client.call(
            "POST",
            f"/v1/payments/{payment.provider_ref}/refunds",
            {"amount": refund.amount, "reference": refund.id},
        )
        return Outcome(answer["status"], int(answer["amount"]), provider_ref=answer["id"])

    def cancel(self, payment):
        if payment.provider_ref:
            self.client.call("POST", f"/v1/payments/{payment.provider_ref}/expire", {})

    def settlement(self, day):
        return read_settlement(self.client.call("GET", f"/v1/settlements/{day}", raw=True))


def read_settlement(text):
    """Rows of a sandbox settlement file (CSV with a header)."""
    return [
        SettlementRow(
            r["kind"], r["reference"], r["provider_ref"], int(r["amount"]), r["settled_at"]
        )
        for r in csv.DictReader(io.StringIO(text))
    ]
