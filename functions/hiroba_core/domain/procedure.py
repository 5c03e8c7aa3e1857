"""A procedure (手続) people apply for online, and what an application to it must contain.

The catalogue (content/registry/procedures.toml, read by hiroba_core.catalogue) lists them:
the department that handles it, the fee, the applicant's fields and the questions. `check`
turns what was sent into an Intake, or raises ValidationFailed naming every problem at once,
in Japanese and English (GOV.UK style: what to do, not what is wrong).
"""

import re
from dataclasses import dataclass, field
from datetime import date

from ..dates import JST
from ..errors import FieldError, ValidationFailed
from ..validation import is_email, normalize
from ..wareki import parse_date

MAX_TEXT = 2000
# applicant field -> (Japanese label, English label, maximum length)
APPLICANT_FIELDS = {
    "name": ("氏名", "name", 100),
    "kana": ("氏名のふりがな", "name in kana", 100),
    "organization": ("法人・団体の名称", "organisation", 100),
    "postal_code": ("郵便番号", "postal code", 8),
    "address": ("住所", "address", 200),
    "phone": ("電話番号", "phone number", 20),
    "email": ("メールアドレス", "email address", 254),
}
# 分類 (what the procedure is about) and ライフイベント (when people need it): the words the
# catalogue uses, with their URL slugs and English names for the pages built from it.
CATEGORIES = {
    "証明書・届出": ("shomei", "Certificates and notifications"),
    "税金": ("zeikin", "Taxes"),
    "子育て・福祉": ("kosodate", "Children and welfare"),
    "ごみ・環境": ("kankyo", "Waste and the environment"),
    "住まい・動物": ("kurashi", "Housing and animals"),
    "施設・講座・イベント": ("koza", "Facilities, courses and events"),
    "入札・事業者": ("jigyosha", "Bidding and businesses"),
    "情報公開・個人情報": ("johokokai", "Information disclosure and personal data"),
    "職員採用・試験": ("saiyo", "Recruitment and examinations"),
}
LIFE_EVENTS = {
    "引っ越し": ("hikkoshi", "Moving house"),
    "出産・子育て": ("kosodate", "Having and raising children"),
    "税金": ("zeikin", "Taxes"),
    "事業者": ("jigyosha", "Running a business"),
    "講座・イベント": ("koza", "Courses and events"),
    "就職": ("shushoku", "Finding work"),
    "くらし": ("kurashi", "Everyday life"),
}
# who may apply: the person concerned (本人) and, where the procedure allows, an agent
APPLICANT_KINDS = {"本人": "The person concerned", "代理人": "An agent"}
AGENT = "代理人"
# what an agent (代理人) tells about themselves, besides the verified e-mail address:
# field -> (Japanese label, English label, maximum length), checked like APPLICANT_FIELDS
AGENT_FIELDS = {
    "name": ("代理人の氏名", "agent's name", 100),
    "kana": ("代理人の氏名のふりがな", "agent's name in kana", 100),
    "relationship": ("ご本人との関係", "relationship to the applicant", 50),
    "address": ("代理人の住所", "agent's address", 200),
    "phone": ("代理人の電話番号", "agent's phone number", 20),
    "email": ("代理人のメールアドレス", "agent's email address", 254),
}
AGENT_REQUIRED = ("name", "kana", "relationship", "address", "phone")
MAX_ATTACHMENTS = 5  # files per application, whatever the kinds

_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb\u309d\u309e\u30fd\u30fe 　]+$")
_PHONE = re.compile(r"^[0-9()\- ]+$")
# what people type between digit groups: hyphens of every width, the long vowel mark, spaces
_DASHES = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]")


@dataclass(frozen=True)
class Attachment:
    """A kind of document the applicant attaches, and how many files of it."""

    kind: str
    count: int = 1
    required: bool = True
    when: str = ""  # an applicant kind (代理人) the document is asked of only; "" = everyone

    def asked_of(self, applicant):
        return not self.when or self.when == applicant

    def required_of(self, applicant):
        return self.required and self.asked_of(applicant)


@dataclass(frozen=True)
class Procedure:
    id: str
    title: str
    title_en: str
    department: str
    fee: int  # yen; 0 = free
    retention_days: int  # the applicant's personal data is deleted after this many days
    applicant: dict = field(default_factory=dict)  # field -> required/optional
    questions: tuple = ()
    summary: str = ""
    fee_per: str | None = None  # a question id whose number multiplies the fee (copies)
    dantai: str = ""  # 全国地方公共団体コード of the 団体 the procedure belongs to
    category: str = ""  # a key of CATEGORIES
    life_events: tuple = ()  # keys of LIFE_EVENTS
    applicants: tuple = ("本人",)  # keys of APPLICANT_KINDS
    attachments: tuple = ()  # Attachment
    signature: bool = False  # the application must carry an electronic signature
    period: str = ""  # 受付期間, as residents read it
    open_from: date | None = None  # first day applications are accepted, when limited
    open_until: date | None = None  # last day
    processing_days: int = 0  # 標準処理期間 (days); 0 = answered at once
    eligibility: str = ""  # who can use the procedure
    fee_note: str = ""  # how the fee is paid or counted, where a number is not enough
    phone: str = ""  # a direct line of the department, when it has one
    issues: str | None = None  # the document issued on completion (signatures.templates)

    def fee_for(self, answers):
        return self.fee * int(answers.get(self.fee_per, 1)) if self.fee_per else self.fee

    def as_dict(self):
        return {"id": self.id, "title": self.title, "title_en": self.title_en}


@dataclass
class Intake:
    """An application as accepted: normalised applicant fields and answers."""

    procedure: Procedure
    applicant: dict
    answers: dict

    def canonical(self):
        """What the Idempotency-Key body hash covers."""
        return {
            "procedure": self.procedure.id,
            "applicant": self.applicant,
            "answers": self.answers,
        }


def _text(errors, name, label, label_en, value, maximum, required, multiline=False, choose=False):
    """The normalised text, or None after adding a FieldError."""
    if value is not None and not isinstance(value, str):
        errors.append(
            FieldError(name, f"{label}は文字で入力してください", f"{label_en} must be text")
        )
        return None
    text = normalize(value, multiline=multiline)
    if not text:
        if required and choose:
            errors.append(FieldError(name, f"{label}を選んでください", f"Choose the {label_en}"))
        elif required:
            errors.append(FieldError(name, f"{label}を入力してください", f"Enter the {label_en}"))
        return None
    if len(text) > maximum:
        errors.append(
            FieldError(
                name,
                f"{label}は{maximum}文字以内で入力してください（いま{len(text)}文字）",
                f"The {label_en} must be {maximum} characters or fewer",
            )
        )
        return None
    return text


def _applicant_field(errors, name, text, fields=APPLICANT_FIELDS, prefix="applicant"):
    """Field-specific formats; returns the stored form or None after adding a FieldError."""
    label, label_en, _ = fields[name]
    key = f"{prefix}.{name}"
    if name == "kana" and not _KANA.match(text):
        errors.append(
            FieldError(
                key, f"{label}はひらがなかカタカナで入力してください", f"Write the {label_en}"
            )
        )
        return None
    if name == "postal_code":
        digits = _DASHES.sub("", text)
        if not (len(digits) == 7 and digits.isascii() and digits.isdigit()):
            errors.append(
                FieldError(
                    key,
                    "郵便番号は 980-8570 のように7桁の数字で入力してください",
                    "Enter a 7-digit postal code, like 980-8570",
                )
            )
            return None
        return f"{digits[:3]}-{digits[3:]}"
    if name == "phone":
        digits = re.sub(r"\D", "", text)
        if not (
            _PHONE.match(_DASHES.sub("-", text))
            and 10 <= len(digits) <= 11
            and digits.startswith("0")
        ):
            errors.append(
                FieldError(
                    key,
                    "電話番号は 022-211-2111 のように市外局番から入力してください",
                    "Enter a phone number with the area code, like 022-211-2111",
                )
            )
            return None
    if name == "email" and not is_email(text):
        errors.append(
            FieldError(
                key,
                "メールアドレスを name@example.jp のような形で入力してください",
                "Enter an email address in the correct format, like name@example.jp",
            )
        )
        return None
    return text


def _integer(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = normalize(value)
        if re.fullmatch(r"-?\d{1,9}", text):
            return int(text)
    return None


def _number(errors, question, value):
    key, label, label_en = f"answers.{question.id}", question.label, question.label_en
    if isinstance(value, str) or value is None:
        text = _text(errors, key, label, label_en, value, 12, question.required)
        if text is None:
            return None
        value = text
    number = _integer(value)
    low, high = question.min, question.max
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        errors.append(
            FieldError(
                key,
                f"{label}は{low}から{high}までの数字で入力してください",
                f"{label_en} must be a number from {low} to {high}",
            )
        )
        return None
    return number


def _date(errors, question, text, today):
    key, label, label_en = f"answers.{question.id}", question.label, question.label_en
    day = parse_date(text)  # 和暦 (令和8年4月1日, R8.4.1) or 西暦 (2026-04-01)
    if day is None:
        errors.append(
            FieldError(
                key,
                f"{label}は 令和8年4月1日 か 2026-04-01 のように、実際にある日付で入力してください",
                f"Enter the {label_en} as a real date, like 2026-04-01",
            )
        )
    elif question.when == "past" and day > today:
        errors.append(
            FieldError(
                key,
                f"{label}は今日までの日付にしてください",
                f"{label_en} must not be in the future",
            )
        )
    elif question.when == "future" and day <= today:
        errors.append(
            FieldError(
                key, f"{label}は明日からの日付にしてください", f"{label_en} must be after today"
            )
        )
    else:
        return day.isoformat()
    return None


def _answer(errors, question, value, today):
    if question.kind == "integer":
        return _number(errors, question, value)
    key, label, label_en = f"answers.{question.id}", question.label, question.label_en
    maximum = (question.max or 200) if question.kind == "text" else 200
    text = _text(
        errors,
        key,
        label,
        label_en,
        value,
        maximum,
        question.required,
        question.multiline,
        choose=question.kind == "choice",
    )
    if text is None:
        return None
    if question.kind == "choice":
        # compared as normalised (NFKC makes （） ASCII), stored as the catalogue writes it
        choice = {normalize(c): c for c in question.choices}.get(text)
        if choice is None:
            errors.append(
                FieldError(
                    key, f"{label}を一覧から選んでください", f"Choose the {label_en} from the list"
                )
            )
        return choice
    if question.kind == "date":
        return _date(errors, question, text, today)
    return text


def _fields(errors, raw, modes, fields, prefix):
    found = {}
    for name, mode in modes.items():
        label, label_en, maximum = fields[name]
        key = f"{prefix}.{name}"
        text = _text(errors, key, label, label_en, raw.get(name), maximum, mode == "required")
        if text is not None:
            value = _applicant_field(errors, name, text, fields, prefix)
            if value is not None:
                found[name] = value
    return found


def _applicant(errors, procedure, raw, by_agent=False):
    modes = dict(procedure.applicant)
    if by_agent and "email" in modes:
        modes["email"] = "optional"  # the agent's own, verified address is the contact
    return _fields(errors, raw, modes, APPLICANT_FIELDS, "applicant")


def _applicant_kind(errors, procedure, raw):
    """本人 unless the procedure takes agents and `applicant_kind` says 代理人."""
    kind = raw.get("applicant_kind")
    if kind in (None, "", "本人"):
        return "本人"
    if kind == AGENT and AGENT in procedure.applicants:
        return AGENT
    errors.append(
        FieldError(
            "applicant_kind",
            "申請する人を「" + "」か「".join(procedure.applicants) + "」から選んでください",
            "Choose who applies: " + ", ".join(APPLICANT_KINDS[k] for k in procedure.applicants),
        )
    )
    return None


def _agent(errors, raw):
    modes = {name: "required" if name in AGENT_REQUIRED else "optional" for name in AGENT_FIELDS}
    if raw is not None and not isinstance(raw, dict):
        errors.append(
            FieldError("agent", "代理人の情報を入力してください", "Enter the agent's details")
        )
        return {}
    return _fields(errors, raw or {}, modes, AGENT_FIELDS, "agent")


def check(procedure, raw, now):
    """An Intake for `procedure` from a JSON body, or ValidationFailed listing every problem.
    `applicant` and `answers` are objects; one that is not is a single error of its own."""
    errors = []
    applicant, answers = {}, {}
    kind = _applicant_kind(errors, procedure, raw)
    applicant_raw = raw.get("applicant")
    if applicant_raw is None or isinstance(applicant_raw, dict):
        applicant = _applicant(errors, procedure, applicant_raw or {}, by_agent=kind == AGENT)
    else:
        errors.append(
            FieldError(
                "applicant", "申請者の情報を入力してください", "Enter the applicant's details"
            )
        )
    answers_raw = raw.get("answers")
    if answers_raw is None or isinstance(answers_raw, dict):
        today = now.astimezone(JST).date()
        for question in procedure.questions:
            value = _answer(errors, question, (answers_raw or {}).get(question.id), today)
            if value is not None:
                answers[question.id] = value
    else:
        errors.append(FieldError("answers", "申請の内容を入力してください", "Enter the answers"))
    if kind == AGENT:
        # 代理人申請: the agent's details beside the principal's (their 委任状 is an
        # attachment of the procedure, added by the attachments step)
        applicant = {**applicant, "kind": AGENT, "agent": _agent(errors, raw.get("agent"))}
    if errors:
        raise ValidationFailed(errors)
    return Intake(procedure, applicant, answers)
