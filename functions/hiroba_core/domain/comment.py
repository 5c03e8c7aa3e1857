"""A comment on a consultation (or a proposal to the governor) and its states.

    received ──hide──▶ hidden ──restore──▶ received
    received ──answer──▶ answered ──answer──▶ answered (the response is edited)
    answered ──hide──▶ hidden

Every allowed (from, to) pair is in TRANSITIONS; `transition()` refuses the others, and
the store writes a change with a condition on the old status and version.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from .transitions import require_transition


class CommentStatus(StrEnum):
    RECEIVED = "received"
    HIDDEN = "hidden"  # spam or abuse: never published, kept for the record
    ANSWERED = "answered"  # the prefecture's response (県の考え方) is recorded


S = CommentStatus
TRANSITIONS = frozenset(
    {
        (S.RECEIVED, S.HIDDEN),
        (S.HIDDEN, S.RECEIVED),
        (S.RECEIVED, S.ANSWERED),
        (S.ANSWERED, S.ANSWERED),
        (S.ANSWERED, S.HIDDEN),
    }
)


@dataclass
class Comment:
    id: str
    consultation_id: str
    receipt: str
    answers: dict
    created_at: str  # ISO 8601
    status: CommentStatus = CommentStatus.RECEIVED
    response: str = ""
    version: int = 1
    # Personal data lives in a separate record that DynamoDB deletes by TTL; it is None
    # once expired and is never part of anything published.
    personal: dict | None = field(default=None)

    def transition(self, new):
        new = CommentStatus(new)
        require_transition(TRANSITIONS, self.status, new)
        old = self.status
        self.status = new
        self.version += 1
        return old

    def hide(self):
        return self.transition(CommentStatus.HIDDEN)

    def restore(self):
        return self.transition(CommentStatus.RECEIVED)

    def answer(self, response):
        old = self.transition(CommentStatus.ANSWERED)
        self.response = response
        return old

    @property
    def publishable(self):
        return self.status != CommentStatus.HIDDEN
