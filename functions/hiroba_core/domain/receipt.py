"""A receipt (受付番号): proof that a comment or proposal was received."""

from dataclasses import dataclass

from ..ids import format_receipt


@dataclass(frozen=True)
class Receipt:
    number: str
    consultation_id: str
    comment_id: str
    created_at: str

    @property
    def display(self):
        return format_receipt(self.number)

    def as_dict(self):
        return {
            "receipt_number": self.display,
            "consultation_id": self.consultation_id,
            "received_at": self.created_at,
        }
