"""A question a form asks, and whether a personal field must be filled in: one definition for
the consultations (意見募集, written in content/consultations/) and the procedures (手続,
written in content/registry/procedures.toml), read by the site build and the apps alike.

A consultation's questions are free text (`q1=案についてのご意見`); a procedure's may also
be a choice, a whole number or a date, with the bounds the catalogue gives.
"""

from dataclasses import dataclass

KINDS = ("text", "choice", "integer", "date")
# a personal field (consultation) or applicant field (procedure) is asked as one of these
FIELD_MODES = ("required", "optional")


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    label_en: str = ""
    kind: str = "text"  # one of KINDS
    required: bool = False
    choices: tuple = ()
    min: int | None = None
    max: int | None = None
    when: str | None = None  # dates: "past" (today or before) or "future" (tomorrow on)
    multiline: bool = False
