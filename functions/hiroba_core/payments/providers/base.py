"""What every provider offers the service, and what it answers, in our words.

    start(payment, return_url)           -> Started    send the resident there / show numbers
    status(payment)                      -> Outcome    re-read: the return never decides
    notification(headers, body, now)     -> Notification   signature checked (SignatureInvalid)
    refund(payment, refund)              -> Outcome    success | error of the refund
    cancel(payment)                      -> None       the provider stops taking it (expiry)
    settlement(day)                      -> [SettlementRow]   the provider's file for a day

No card data ever passes through here: the resident types it on the provider's page.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from ...errors import ProviderUnavailable
from .. import signing


@dataclass(frozen=True)
class Started:
    next_url: str  # where the resident goes next ("" for Pay-easy: our own page)
    provider_ref: str
    payeasy: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    status: str  # a PaymentStatus (or RefundStatus) value; "started" while undecided
    amount: int = 0
    reason: str = ""
    provider_ref: str = ""


@dataclass(frozen=True)
class Notification:
    event_id: str  # the provider's id of this notification: replays carry the same
    status: str
    amount: int
    payment_id: str = ""  # ours, when the provider echoes it
    customer: str = ""  # Pay-easy お客様番号, when that is how the bank names it
    reason: str = ""
    provider_ref: str = ""


@dataclass(frozen=True)
class SettlementRow:
    kind: str  # "payment" | "refund"
    payment_id: str
    provider_ref: str
    amount: int
    settled_at: str


class Provider(Protocol):
    name: str
    method: str

    def start(self, payment, return_url): ...
    def status(self, payment): ...
    def notification(self, headers, body, now=None): ...
    def refund(self, payment, refund): ...
    def cancel(self, payment): ...
    def settlement(self, day): ...


def header(headers, name):
    name = name.lower()
    return next((v for k, v in (headers or {}).items() if k.lower() == name), None)


class SignedClient:
    """JSON over HTTP to a provider that authenticates our requests with the notification
    signature scheme (the sandboxes): short timeouts, failures as ProviderUnavailable."""

    def __init__(self, base_url, key, timeout=5):
        self.base_url, self.key, self.timeout = (base_url or "").rstrip("/"), key, timeout

    def call(self, method, path, data=None, raw=False):
        if not self.base_url:
            raise ProviderUnavailable()
        body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=body if method != "GET" else None,
            method=method,
            headers={
                "Content-Type": "application/json",
                signing.HEADER: signing.sign(self.key, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise ProviderUnavailable() from error
        if raw:
            return payload.decode("utf-8")
        try:
            return json.loads(payload)
        except ValueError as error:
            raise ProviderUnavailable() from error
