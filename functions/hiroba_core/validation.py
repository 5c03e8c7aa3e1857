"""Checking and normalising what people send: NFKC, lengths, e-mail syntax, required fields.

Every rule produces a FieldError with a Japanese and an English message that say what to
do (GOV.UK style: 「氏名を入力してください」, not 「氏名が不正です」).
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field

from .errors import FieldError, ValidationFailed

MAX_ANSWER = 4000
MAX_NAME = 100
MAX_ADDRESS = 200
MAX_EMAIL = 254
AGE_GROUPS = ("10代以下", "20代", "30代", "40代", "50代", "60代", "70代以上")
PERSONAL_FIELDS = {
    # field -> (Japanese label, English label)
    "name": ("氏名（団体名）", "name"),
    "email": ("メールアドレス", "email address"),
    "address": ("住所（市町村名まで）", "address"),
    "age_group": ("年代", "age group"),
}
# Characters that are never text a resident meant to write, removed from every field: C0
# and C1 controls, zero-width characters, bidirectional controls (U+061C, U+200E/F,
# U+202A-202E, U+2066-2069: they reorder what staff and readers see, "Trojan Source"),
# invisible operators, the BOM, tag characters (U+E0000-E007F: invisible text) and lone
# surrogates (not characters at all; they cannot even be encoded as UTF-8).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2069\ufeff\U000e0000-\U000e007f\ud800-\udfff]"
)
# Unicode's line and paragraph separators end a line like "\n" does; as themselves they
# break JavaScript string literals and some CSV and mail readers.
_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_JSON_DEPTH = 32


def parse_json(text):
    """A JSON document people sent, or ValueError: never RecursionError (thousands of
    nested `[`) and never a lone surrogate (`"\\ud800"`) that would fail later, when the
    text is hashed, stored or answered, as a 500."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    _check_json(data, 0)
    return data


def _check_json(value, depth):
    if depth > MAX_JSON_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        if _LONE_SURROGATE.search(value):
            raise ValueError("lone surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth + 1)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,255}$")


def check_idempotency_key(key):
    """An Idempotency-Key header is 8-255 printable ASCII characters (or absent)."""
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            [
                FieldError(
                    "Idempotency-Key",
                    "Idempotency-Key は8〜255文字の英数字・記号にしてください",
                    "Idempotency-Key must be 8-255 printable ASCII characters",
                )
            ]
        )


def normalize(value, multiline=False):
    """NFKC, unified newlines, no control or invisible characters, trimmed."""
    if value is None:
        return ""
    text = _LONE_SURROGATE.sub("", str(value))  # NFKC cannot be applied to them
    text = unicodedata.normalize("NFKC", text).translate(_SEPARATORS)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    text = _CONTROL.sub("", text)
    return text.strip()


def is_email(text):
    return len(text) <= MAX_EMAIL and bool(_EMAIL.match(text))


@dataclass
class Submission:
    """A comment or proposal as accepted: normalised answers and personal fields."""

    answers: dict
    personal: dict = field(default_factory=dict)
    send_copy: bool = False

    def canonical(self):
        """What the Idempotency-Key body hash covers (not the ticket or the honeypot)."""
        return {"answers": self.answers, "personal": self.personal, "send_copy": self.send_copy}


def _truthy(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def validate_submission(consultation, raw):
    """A Submission for `consultation`, or ValidationFailed listing every problem at once."""
    problems = []
    answers = {}
    raw_answers = raw.get("answers") if isinstance(raw.get("answers"), dict) else {}
    for question in consultation.questions:
        value = raw_answers.get(question.id)
        if value is not None and not isinstance(value, str):
            problems.append(
                FieldError(
                    f"answers.{question.id}",
                    f"「{question.label}」は文字で入力してください",
                    f"Answer {question.id} must be text",
                )
            )
            continue
        text = normalize(value, multiline=True)
        if len(text) > MAX_ANSWER:
            problems.append(
                FieldError(
                    f"answers.{question.id}",
                    f"「{question.label}」は{MAX_ANSWER}文字以内で入力してください（いま{len(text)}文字）",
                    f"Answer {question.id} must be {MAX_ANSWER} characters or fewer",
                )
            )
        if text:
            answers[question.id] = text
    if not answers and not any(p.field.startswith("answers.") for p in problems):
        first = consultation.questions[0].id if consultation.questions else "answers"
        problems.append(
            FieldError(
                f"answers.{first}",
                "ご意見を入力してください",
                "Enter your comment",
            )
        )
    personal = {}
    for name, mode in consultation.personal_fields.items():
        label, label_en = PERSONAL_FIELDS[name]
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(
                FieldError(name, f"{label}は文字で入力してください", f"{label_en} must be text")
            )
            continue
        text = normalize(value)
        if not text:
            if mode == "required":
                verb = "選んで" if name == "age_group" else "入力して"
                problems.append(
                    FieldError(name, f"{label}を{verb}ください", f"Enter your {label_en}")
                )
            continue
        if name == "name" and len(text) > MAX_NAME:
            problems.append(
                FieldError(
                    name,
                    f"{label}は{MAX_NAME}文字以内で入力してください",
                    f"Name must be {MAX_NAME} characters or fewer",
                )
            )
        elif name == "address" and len(text) > MAX_ADDRESS:
            problems.append(
                FieldError(
                    name,
                    f"{label}は{MAX_ADDRESS}文字以内で入力してください",
                    f"Address must be {MAX_ADDRESS} characters or fewer",
                )
            )
        elif name == "email" and not is_email(text):
            problems.append(
                FieldError(
                    name,
                    "メールアドレスを name@example.jp のような形で入力してください",
                    "Enter an email address in the correct format, like name@example.jp",
                )
            )
        elif name == "age_group" and text not in AGE_GROUPS:
            problems.append(
                FieldError(
                    name, "年代を一覧から選んでください", "Choose an age group from the list"
                )
            )
        personal[name] = text
    send_copy = _truthy(raw.get("send_copy", "")) and "email" in consultation.personal_fields
    if send_copy and not personal.get("email"):
        problems.append(
            FieldError(
                "email",
                "控えを受け取るにはメールアドレスを入力してください",
                "Enter an email address to receive a copy",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    return Submission(answers, personal, send_copy)
