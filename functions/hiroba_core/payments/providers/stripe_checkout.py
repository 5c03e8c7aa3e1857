"""Stripe Checkout as the card acquirer (`stripe` from PyPI): the resident pays on Stripe's
hosted page, Stripe tells us by a signed webhook (Stripe-Signature, checked with
stripe.Webhook.construct_event and the endpoint's secret).

What needs the network and is not run by the tests (no Stripe account in CI): creating,
reading and expiring a Checkout Session, refunds, and the balance transactions for the
settlement. The webhook check and its translation into our states are tested offline with
real signatures made by the documented scheme (docs/payments.md). JPY is a zero-decimal
currency at Stripe: amounts are yen as they are.
"""

from datetime import UTC, datetime

from ...errors import SignatureInvalid
from .base import Notification, Outcome, ProviderUnavailable, SettlementRow, Started, header

# Checkout Session event -> our outcome (the session's own status and payment_status)
EVENTS = {
    "checkout.session.completed": None,  # success when payment_status is "paid"
    "checkout.session.async_payment_succeeded": "success",
    "checkout.session.async_payment_failed": "declined",
    "checkout.session.expired": "expired",
}
SESSION_MINUTES = 90  # as our own expiry of a started card payment


def _stripe():
    import stripe

    return stripe


class StripeCheckout:
    name = "stripe"
    method = "card"

    def __init__(self, settings):
        self.api_key = settings.stripe_secret_key
        self.webhook_secret = settings.stripe_webhook_secret

    def _client(self):
        if not self.api_key:
            raise ProviderUnavailable()
        return _stripe().StripeClient(self.api_key)

    def _call(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except _stripe().StripeError as error:
            raise ProviderUnavailable() from error

    def start(self, payment, return_url):  # network
        expires = int(datetime.fromisoformat(payment.expires_at).timestamp())
        session = self._call(
            self._client().v1.checkout.sessions.create,
            {
                "mode": "payment",
                "client_reference_id": payment.id,
                "metadata": {"payment_id": payment.id},
                # copied to the PaymentIntent, which the day's balance transactions reach
                "payment_intent_data": {"metadata": {"payment_id": payment.id}},
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "jpy",
                            "unit_amount": payment.amount,
                            "product_data": {"name": payment.description},
                        },
                    }
                ],
                "success_url": return_url,
                "cancel_url": return_url,
                "expires_at": expires,
            },
            {"idempotency_key": f"start-{payment.id}"},
        )
        return Started(session.url, session.id)

    def status(self, payment):  # network
        session = self._call(self._client().v1.checkout.sessions.retrieve, payment.provider_ref)
        return session_outcome(session.to_dict())

    def notification(self, headers, body, now=None):
        stripe = _stripe()
        try:
            event = stripe.Webhook.construct_event(
                body, header(headers, "Stripe-Signature"), self.webhook_secret
            )
        except (stripe.SignatureVerificationError, ValueError):
            raise SignatureInvalid() from None
        return event_notification(event.to_dict())

    def refund(self, payment, refund):  # network
        session = self._call(self._client().v1.checkout.sessions.retrieve, payment.provider_ref)
        made = self._call(
            self._client().v1.refunds.create,
            {
                "payment_intent": session.payment_intent,
                "amount": refund.amount,
                "metadata": {"refund_id": refund.id, "payment_id": payment.id},
            },
            {"idempotency_key": f"refund-{refund.id}"},
        )
        status = "success" if made.status in ("succeeded", "pending") else "error"
        return Outcome(status, int(made.amount), provider_ref=made.id)

    def cancel(self, payment):  # network
        if payment.provider_ref:
            self._call(self._client().v1.checkout.sessions.expire, payment.provider_ref)

    def settlement(self, day):  # network
        start = int(datetime.fromisoformat(f"{day}T00:00:00+09:00").timestamp())
        listing = self._call(
            self._client().v1.balance_transactions.list,
            {
                "created": {"gte": start, "lt": start + 86400},
                "limit": 100,
                "expand": ["data.source.payment_intent"],
            },
        )
        rows = []
        for t in listing.auto_paging_iter():
            t = t.to_dict()
            source = t.get("source") or {}
            if t["type"] in ("charge", "payment"):
                intent = source.get("payment_intent") or {}
                kind, ref = "payment", (intent.get("metadata") or {}).get("payment_id", "")
            elif t["type"] == "refund":
                kind, ref = "refund", (source.get("metadata") or {}).get("refund_id", "")
            else:
                continue  # fees, payouts: not a resident's payment
            at = datetime.fromtimestamp(t["created"], UTC).isoformat(timespec="seconds")
            rows.append(SettlementRow(kind, ref, source.get("id", ""), abs(int(t["amount"])), at))
        return rows


def session_outcome(session):
    if session.get("payment_status") == "paid":
        status = "success"
    elif session.get("status") == "expired":
        status = "expired"
    else:
        status = "started"
    return Outcome(status, int(session.get("amount_total") or 0))


def event_notification(event):
    """Our Notification for a Stripe event (as a plain dict: Event.to_dict())."""
    kind = event["type"]
    session = event["data"]["object"]
    if kind not in EVENTS:
        status = "ignored"
    else:
        status = EVENTS[kind] or (
            "success" if session.get("payment_status") == "paid" else "submitted"
        )
    metadata = session.get("metadata") or {}
    return Notification(
        event_id=event["id"],
        status=status,
        amount=int(session.get("amount_total") or 0),
        payment_id=session.get("client_reference_id") or metadata.get("payment_id", ""),
        provider_ref=session.get("id", ""),
        reason=kind,
    )
