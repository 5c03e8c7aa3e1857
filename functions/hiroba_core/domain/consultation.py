"""A consultation (意見募集, パブリックコメント) or the always-open 知事への提案."""

from dataclasses import dataclass, field
from datetime import datetime

from ..errors import NotOpen
from .question import Question

KINDS = ("consultation", "proposal")  # a proposal box (知事への提案) is always open


@dataclass(frozen=True)
class Consultation:
    id: str
    title: str
    department: str
    url: str
    questions: tuple
    personal_fields: dict = field(default_factory=dict)  # name -> required/optional
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    kind: str = "consultation"

    def state(self, now):
        """upcoming, open or closed at `now` (a proposal box is always open)."""
        if self.kind == "proposal":
            return "open"
        if self.opens_at and now < self.opens_at:
            return "upcoming"
        if self.closes_at and now >= self.closes_at:
            return "closed"
        return "open"

    def ensure_open(self, now):
        state = self.state(now)
        if state != "open":
            raise NotOpen(self, state)

    def as_dict(self):
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "department": self.department,
            "url": self.url,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "questions": [{"id": q.id, "label": q.label} for q in self.questions],
            "personal_fields": dict(self.personal_fields),
        }

    @classmethod
    def from_dict(cls, data):
        def moment(value):
            return datetime.fromisoformat(value) if value else None

        return cls(
            id=data["id"],
            title=data["title"],
            kind=data.get("kind", "consultation"),
            department=data["department"],
            url=data["url"],
            opens_at=moment(data.get("opens_at")),
            closes_at=moment(data.get("closes_at")),
            questions=tuple(Question(q["id"], q["label"]) for q in data["questions"]),
            personal_fields=dict(data.get("personal_fields", {})),
        )
