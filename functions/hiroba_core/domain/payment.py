"""A payment (公金収納) of a fee or a tax, its refunds, and their states (as GOV.UK Pay has them).

    created ──▶ started ──▶ submitted ──▶ success 納付済
       │           │            │
       └───────────┴────────────┴──▶ declined | expired | cancelled | error   (failed)

created: we hold the amount; started: the resident was sent to the provider (card page) or
was given the Pay-easy numbers; submitted: the provider has the card details or the bank
has the order, the outcome is pending (3-D Secure, capture). success and the four failures
are final. A refund of a successful payment: submitted ──▶ success | error.

Every allowed (from, to) pair is in TRANSITIONS (REFUND_TRANSITIONS); `transition()` refuses
the others and appends each change to the history; the store writes it with a condition on
the old status and version. Amounts are yen as integers: a float never holds money.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from .transitions import require_transition


class PaymentStatus(StrEnum):
    CREATED = "created"
    STARTED = "started"
    SUBMITTED = "submitted"
    SUCCESS = "success"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    ERROR = "error"


S = PaymentStatus
FAILED = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED, S.ERROR})
LABELS = {
    S.CREATED: ("受付前", "Created"),
    S.STARTED: ("お支払い待ち", "Awaiting payment"),
    S.SUBMITTED: ("確認中", "Being confirmed"),
    S.SUCCESS: ("納付済", "Paid"),
    S.DECLINED: ("カードが使えませんでした", "Declined"),
    S.EXPIRED: ("期限切れ", "Expired"),
    S.CANCELLED: ("取りやめ", "Cancelled"),
    S.ERROR: ("エラー", "Error"),
}
TRANSITIONS = frozenset(
    {
        (S.CREATED, S.STARTED),
        (S.STARTED, S.SUBMITTED),
        (S.SUBMITTED, S.SUCCESS),
        *((old, failed) for old in (S.CREATED, S.STARTED, S.SUBMITTED) for failed in FAILED),
    }
)
FINAL = frozenset(s for s in S if not any(old == s for old, _ in TRANSITIONS))


class RefundStatus(StrEnum):
    SUBMITTED = "submitted"
    SUCCESS = "success"
    ERROR = "error"


REFUND_TRANSITIONS = frozenset(
    {(RefundStatus.SUBMITTED, RefundStatus.SUCCESS), (RefundStatus.SUBMITTED, RefundStatus.ERROR)}
)
REFUND_LABELS = {
    RefundStatus.SUBMITTED: ("返金手続中", "Refund submitted"),
    RefundStatus.SUCCESS: ("返金済", "Refunded"),
    RefundStatus.ERROR: ("返金できませんでした", "Refund failed"),
}

# What can be paid: an application's fee, or a tax from a tax notice (納付書).
PAYABLE_KINDS = ("application", "tax")
# How: a card through the acquirer's hosted page, or Pay-easy at an ATM or online bank.
METHODS = {"card": ("クレジットカード", "Card"), "payeasy": ("ペイジー", "Pay-easy")}


def label(status):
    return LABELS[PaymentStatus(status)]


def path_to(old, new):
    """The steps from `old` to the outcome `new` a provider reports: a provider says
    "success" for a payment we still hold as started, so we pass through submitted, and
    each step is a transition of the table (InvalidTransition otherwise)."""
    old, new = PaymentStatus(old), PaymentStatus(new)
    if old == new:
        return []
    if new == S.SUCCESS and old in (S.CREATED, S.STARTED):
        return [*path_to(old, S.SUBMITTED), S.SUCCESS]
    if new == S.SUBMITTED and old == S.CREATED:
        return [S.STARTED, S.SUBMITTED]
    return [new]


@dataclass(frozen=True)
class Change:
    """One entry of the history: the status reached, when (ISO 8601), by what, why."""

    status: str
    at: str
    by: str = ""  # "resident", "provider:<name>", "sweep", or a staff subject
    reason: str = ""  # a provider's code (card_declined, expired_card, …) or staff's reason

    def as_dict(self):
        return {"status": self.status, "at": self.at, "by": self.by, "reason": self.reason}

    @classmethod
    def from_dict(cls, data):
        return cls(data["status"], data["at"], data.get("by", ""), data.get("reason", ""))


@dataclass
class Payment:
    id: str  # random and unguessable: the links of the payment's pages carry it
    dantai: str  # 全国地方公共団体コード of the 団体 the money belongs to
    department: str  # the department that collects it (a key of the registry)
    payable_kind: str  # "application" | "tax"
    payable_ref: str  # 到達番号, or the notice's 納付番号
    description: str  # what the resident sees: 「県税の納税証明書の交付申請 手数料（2通）」
    amount: int  # yen
    method: str  # "card" | "payeasy"
    provider: str  # "sandbox-card", "stripe", "payeasy"
    created_at: str
    status: PaymentStatus = PaymentStatus.CREATED
    version: int = 1
    history: list = field(default_factory=list)
    provider_ref: str = ""  # the provider's id of the payment
    next_url: str = ""  # the provider's page for the resident (card)
    expires_at: str = ""  # ISO 8601: when an unfinished payment expires
    paid_at: str = ""
    payeasy: dict = field(default_factory=dict)  # 収納機関番号, お客様番号, 確認番号, 期限
    refunded: int = 0  # yen refunded or being refunded

    def __post_init__(self):
        if type(self.amount) is not int or self.amount <= 0:
            raise ValueError("a payment is a positive whole number of yen")
        if self.method not in METHODS or self.payable_kind not in PAYABLE_KINDS:
            raise ValueError("unknown method or kind of payable")
        if not self.history:
            self.history = [Change(self.status.value, self.created_at, "resident")]

    @property
    def final(self):
        return self.status in FINAL

    @property
    def failed(self):
        return self.status in FAILED

    @property
    def refundable(self):
        """Yen that may still be refunded: only of a successful payment."""
        return self.amount - self.refunded if self.status == S.SUCCESS else 0

    def transition(self, new, at, by="", reason=""):
        """Change the status (InvalidTransition when not allowed); returns the Change."""
        new = PaymentStatus(new)
        require_transition(TRANSITIONS, self.status, new, LABELS)
        change = Change(new.value, at, by, reason)
        self.status = new
        self.version += 1
        self.history.append(change)
        if new == S.SUCCESS:
            self.paid_at = at
        return change

    def reach(self, outcome, at, by="", reason=""):
        """Walk to a provider's outcome along the table; the Changes made (none when the
        payment is already there)."""
        return [self.transition(step, at, by, reason) for step in path_to(self.status, outcome)]


@dataclass
class Refund:
    id: str
    payment_id: str
    amount: int  # yen
    reason: str  # staff's reason, kept for the audit
    by: str  # staff subject
    created_at: str
    status: RefundStatus = RefundStatus.SUBMITTED
    version: int = 1
    history: list = field(default_factory=list)
    provider_ref: str = ""

    def __post_init__(self):
        if type(self.amount) is not int or self.amount <= 0:
            raise ValueError("a refund is a positive whole number of yen")
        if not self.history:
            self.history = [Change(self.status.value, self.created_at, self.by, self.reason)]

    def transition(self, new, at, by="", reason=""):
        new = RefundStatus(new)
        require_transition(REFUND_TRANSITIONS, self.status, new, REFUND_LABELS)
        change = Change(new.value, at, by, reason)
        self.status = new
        self.version += 1
        self.history.append(change)
        return change


# ---------------------------------------------------------------- Pay-easy numbers


def luhn_digit(digits):
    """The check digit (mod 10, weights 2 and 1 from the right) of a string of digits: a
    single mistyped digit or a swap of two neighbours at an ATM gives another digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def is_customer_number(text):
    """お客様番号: 20 digits at most, the last the check digit of the others."""
    return (
        isinstance(text, str)
        and 2 <= len(text) <= 20
        and text.isascii()
        and text.isdigit()
        and luhn_digit(text[:-1]) == text[-1]
    )


@dataclass(frozen=True)
class PayEasyNumbers:
    """What the resident types at the ATM or in online banking (ペイジー)."""

    collector: str  # 収納機関番号: 5 digits, given to the 団体 by the network
    customer: str  # お客様番号: identifies the payment; the last digit checks the others
    confirmation: str  # 確認番号: 6 digits, a second factor the bank asks for
    deadline: str  # ISO 8601: after it the numbers no longer pay

    def __post_init__(self):
        if not (len(self.collector) == 5 and self.collector.isdigit()):
            raise ValueError("収納機関番号 is five digits")
        if not is_customer_number(self.customer):
            raise ValueError("お客様番号 does not check")
        if not (len(self.confirmation) == 6 and self.confirmation.isdigit()):
            raise ValueError("確認番号 is six digits")

    def as_dict(self):
        return {
            "collector": self.collector,
            "customer": self.customer,
            "confirmation": self.confirmation,
            "deadline": self.deadline,
        }


# ---------------------------------------------------------------- tax notices


@dataclass(frozen=True)
class TaxNotice:
    """A tax notice (納税通知書) the tax office exported: the 納付番号 and 確認番号 printed on
    it let a resident pay it online. The 確認番号 is kept only as a keyed hash."""

    number: str  # 納付番号: 16 digits, unique
    confirmation_hash: str
    dantai: str
    department: str
    tax: str  # 自動車税（種別割）, 個人事業税, 不動産取得税, …
    fiscal_year: int
    period: str  # 期別: 全期, 第1期, …
    amount: int  # yen due
    due: str  # 納期限, ISO date
    subject: str = ""  # what the tax is on, as printed (宮城 300 あ 12-34); no name
    paid_payment: str = ""

    @property
    def description(self):
        return f"{self.tax} {self.fiscal_year}年度 {self.period}"
