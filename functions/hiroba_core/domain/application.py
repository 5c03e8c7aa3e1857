"""An application (申請) to a procedure, and its states.

    received 到達 ──▶ accepted 受付 ──▶ in_review 審査中 ──▶ completed 完了
                                         in_review ──▶ returned 補正依頼 ──▶ in_review
    received | accepted | in_review | returned ──▶ rejected 却下
    received | accepted | returned ──▶ withdrawn 取下げ
    completed, rejected and withdrawn are final.

(returned ──▶ rejected is allowed too: a correction that never comes ends the application.)
Every allowed (from, to) pair is in TRANSITIONS; `transition()` refuses the others and
appends each change to the history; the store writes it with a condition on the old status
and version, so two members of staff can never both change one version.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import InvalidTransition, SameApprover
from .dantai import PREFECTURE_OF_MIYAGI
from .transitions import require_transition


class ApplicationStatus(StrEnum):
    RECEIVED = "received"  # 到達: the application reached the prefecture
    ACCEPTED = "accepted"  # 受付: staff took it up formally
    IN_REVIEW = "in_review"  # 審査中
    RETURNED = "returned"  # 補正依頼: the applicant is asked to correct something
    COMPLETED = "completed"  # 完了
    REJECTED = "rejected"  # 却下
    WITHDRAWN = "withdrawn"  # 取下げ: the applicant withdrew it


S = ApplicationStatus
LABELS = {
    S.RECEIVED: ("到達", "Received"),
    S.ACCEPTED: ("受付", "Accepted"),
    S.IN_REVIEW: ("審査中", "Under review"),
    S.RETURNED: ("補正依頼", "Correction requested"),
    S.COMPLETED: ("完了", "Completed"),
    S.REJECTED: ("却下", "Rejected"),
    S.WITHDRAWN: ("取下げ", "Withdrawn"),
}
TRANSITIONS = frozenset(
    {
        (S.RECEIVED, S.ACCEPTED),
        (S.ACCEPTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.COMPLETED),
        (S.IN_REVIEW, S.RETURNED),
        (S.RETURNED, S.IN_REVIEW),
        (S.RECEIVED, S.REJECTED),
        (S.ACCEPTED, S.REJECTED),
        (S.IN_REVIEW, S.REJECTED),
        (S.RETURNED, S.REJECTED),
        (S.RECEIVED, S.WITHDRAWN),
        (S.ACCEPTED, S.WITHDRAWN),
        (S.RETURNED, S.WITHDRAWN),
    }
)
FINAL = frozenset(s for s in S if not any(old == s for old, _ in TRANSITIONS))
# Reached only by a proposal of one member of staff and the approval of another (決裁).
NEEDS_APPROVAL = frozenset({S.COMPLETED, S.REJECTED})


def label(status):
    """(Japanese, English) for a status."""
    return LABELS[ApplicationStatus(status)]


def next_statuses(status):
    """The statuses reachable from `status`, in the order of the enumeration."""
    return tuple(new for new in S if (status, new) in TRANSITIONS)


@dataclass(frozen=True)
class Change:
    """One entry of the history: the status reached, when (ISO 8601), by whom and why."""

    status: ApplicationStatus
    at: str
    by: str = ""  # staff subject; "" for the applicant's own submission
    note: str = ""  # for staff only; never shown to the applicant

    def as_dict(self):
        return {"status": self.status.value, "at": self.at, "by": self.by, "note": self.note}

    @classmethod
    def from_dict(cls, data):
        return cls(
            ApplicationStatus(data["status"]), data["at"], data.get("by", ""), data.get("note", "")
        )


@dataclass
class Application:
    reference: str  # 到達番号, unique (the store's key)
    procedure_id: str
    department: str
    received_at: str  # ISO 8601
    answers: dict
    fee: int  # yen, fixed when received
    inquiry_hash: str  # keyed hash of the 問合せ番号 (tokens.inquiry_hash); never the code
    status: ApplicationStatus = ApplicationStatus.RECEIVED
    version: int = 1
    history: list = field(default_factory=list)
    # Personal data lives in its own item that DynamoDB deletes by TTL; None when not read
    # (the status inquiry never reads it) or once expired.
    applicant: dict | None = None
    dantai: str = ""  # 全国地方公共団体コード of the procedure's 団体, fixed when received
    # A 完了 or 却下 proposed by staff and waiting for an approver who is not the proposer
    # (the two-person rule, 決裁): {"status", "by", "by_name", "at", "note"}, or None.
    proposal: dict | None = None
    paid_payment: str = ""  # the payment that paid the fee (set by the store, conditionally)

    def __post_init__(self):
        if not self.history:
            self.history = [Change(self.status, self.received_at)]

    @property
    def owner(self):
        """The 団体 the application belongs to (received before 団体 existed: the prefecture,
        whose procedures were the only ones then)."""
        return self.dantai or PREFECTURE_OF_MIYAGI

    @property
    def updated_at(self):
        return self.history[-1].at

    def check_transition(self, new):
        """The status `new` (InvalidTransition when it cannot follow the current one)."""
        new = ApplicationStatus(new)
        require_transition(TRANSITIONS, self.status, new, LABELS)
        return new

    def propose(self, new, at, by, by_name="", note=""):
        """Propose 完了 or 却下 for an approver to decide (InvalidTransition otherwise)."""
        new = self.check_transition(new)
        if new not in NEEDS_APPROVAL:
            raise InvalidTransition(self.status.value, new.value)
        self.proposal = {"status": new.value, "by": by, "by_name": by_name, "at": at, "note": note}
        self.version += 1

    def approve(self, at, by, note=""):
        """Carry out the proposal; SameApprover when `by` proposed it (two-person rule)."""
        if not self.proposal:
            raise InvalidTransition(self.status.value, "approval")
        if self.proposal["by"] == by:
            raise SameApprover()
        proposal, self.proposal = self.proposal, None
        text = "\n".join(t for t in (proposal.get("note", ""), note) if t)
        return self.transition(proposal["status"], at, by=by, note=text)

    def transition(self, new, at, by="", note=""):
        """Change the status (InvalidTransition when not allowed); returns the new Change."""
        new = self.check_transition(new)
        change = Change(new, at, by, note)
        self.status = new
        self.version += 1
        self.history.append(change)
        return change
