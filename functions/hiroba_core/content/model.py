"""What a content file may say in its front matter, and how Hiroba reads it.

Framework-free so that the checks, the schedule and the tests share one definition.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from ..dates import JST
from ..domain.consultation import KINDS as CONSULTATION_KINDS
from ..domain.consultation import Consultation
from ..domain.question import FIELD_MODES as PERSONAL_FIELD_MODES
from ..validation import PERSONAL_FIELDS

# key -> short description (docs/content.md explains each one)
FIELDS = {
    "title": "ページの題名",
    "slug": "URLの末尾",
    "summary": "要約",
    "department": "担当課のID",
    "date": "公開日",
    "modified": "更新日",
    "category": "分類",
    "tags": "タグ",
    "lang": "言語",
    "translation_key": "翻訳のキー",
    "contact": "問い合わせ先の補足",
    "status": "状態",
    "publish_at": "公開予定日時",
    "expires_at": "公開終了日時",
    "emergency": "緊急情報",
    "severity": "緊急度",
    "area": "対象地域",
    "kana": "読み（ひらがな）",
    "video": "動画ファイル",
    "captions": "字幕ファイル（WebVTT）",
    "poster": "動画の代表画像",
    "template": "テンプレート",
    "order": "索引での並び順（数字）",
    "url": "URL（索引ページのみ）",
    "save_as": "出力先（索引ページのみ）",
    # consultations (意見募集) in content/consultations/: see docs/content.md
    "kind": "意見募集の種類（consultation / proposal）",
    "opens_at": "意見募集の開始日時",
    "closes_at": "意見募集の終了日時",
    "questions": "意見を求める項目（q1=… | q2=…）",
    "personal_fields": "尋ねる個人情報（name=required, email=optional …）",
    # newsletter issues (メルマガ・みやぎ) in content/newsletter/: see docs/content.md
    "newsletter": "メルマガの種類（weekly / bousai / kanko / event / kensei）",
}
DATE_FIELDS = ("date", "modified", "publish_at", "expires_at", "opens_at", "closes_at")
REQUIRED = {
    "page": ("title", "slug", "summary", "department", "date"),
    "article": ("title", "slug", "summary", "department", "date", "category"),
}
STATUSES = ("published", "draft", "hidden")
SEVERITIES = ("extreme", "severe", "moderate", "minor")  # CAP 1.2
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KANA_RE = re.compile(r"^[\u3041-\u309fー]+$")
_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:\d{2})?$"
)


class BadDate(ValueError):
    pass


def parse_datetime(text):
    """Parse `YYYY-MM-DD[ HH:MM[:SS]][+09:00]`; without an offset the time is JST."""
    match = _DATE_RE.match(str(text).strip())
    if not match:
        raise BadDate(f"日付を読み取れません（YYYY-MM-DD HH:MM の形式で）: {text!r}")
    year, month, day, hour, minute, second, offset = match.groups()
    tz = JST
    if offset == "Z":
        tz = UTC
    elif offset:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=tz,
        )
    except ValueError as error:
        raise BadDate(f"存在しない日付です: {text!r} ({error})") from None


def build_time(setting=None):
    """The instant a build treats as now: HIROBA_NOW if set (reproducible builds), else now."""
    if setting:
        return parse_datetime(setting)
    return datetime.now(JST).replace(microsecond=0)


@dataclass(frozen=True)
class Window:
    """When a piece of content may appear: [publish_at, expires_at)."""

    publish_at: datetime | None = None
    expires_at: datetime | None = None

    def is_live(self, now):
        if self.publish_at and now < self.publish_at:
            return False
        return not (self.expires_at and now >= self.expires_at)


def window_of(metadata):
    """The publication window of a metadata mapping (values are strings or datetimes)."""

    def value(key):
        raw = metadata.get(key)
        if raw in (None, ""):
            return None
        if isinstance(raw, datetime):
            return raw if raw.tzinfo else raw.replace(tzinfo=JST)
        return parse_datetime(raw)

    return Window(value("publish_at"), value("expires_at"))


def is_true(value):
    return str(value).strip().lower() in ("true", "yes", "1")


@dataclass
class FrontMatter:
    """Front matter read with the line number of each key, for path:line messages."""

    values: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    body_start: int = 1  # 1-based line number of the first body line


def read_front_matter(text):
    """Read Python-Markdown `meta` style front matter: `Key: value` lines up to a blank line."""
    front = FrontMatter()
    # Notepad saves UTF-8 with a BOM; read as text it would hide the first key
    lines = text.removeprefix("\ufeff").splitlines()
    key = None
    for index, line in enumerate(lines):
        number = index + 1
        if not line.strip():
            front.body_start = number + 1
            return front
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.*)$", line)
        if match:
            key = match.group(1).lower()
            front.values[key] = match.group(2).strip()
            front.lines[key] = number
        elif key and line.startswith(("    ", "\t")):
            front.values[key] = (front.values[key] + " " + line.strip()).strip()
        else:
            front.body_start = number
            return front
    front.body_start = len(lines) + 1
    return front


# ---------------------------------------------------------------- consultations

PERSONAL_FIELD_NAMES = tuple(PERSONAL_FIELDS)  # the fields the API knows how to check
QUESTION_ID_RE = re.compile(r"^q[0-9]{1,2}$")


class BadConsultation(ValueError):
    pass


def _text(value):
    # Pelican hands a continued front-matter value over as a list of lines.
    if isinstance(value, list | tuple):
        return " ".join(str(v).strip() for v in value)
    return "" if value is None else str(value)


def parse_questions(value):
    """`q1=案についてのご意見 | q2=…` -> [(id, label)]; raises BadConsultation."""
    questions = []
    for part in filter(None, (p.strip() for p in _text(value).split("|"))):
        key, sep, label = part.partition("=")
        key, label = key.strip(), label.strip()
        if not sep or not QUESTION_ID_RE.match(key) or not label:
            raise BadConsultation(f"Questions の「{part}」は q1=質問文 の形で書いてください")
        if key in dict(questions):
            raise BadConsultation(f"Questions の {key} が二度あります")
        questions.append((key, label))
    if not questions:
        raise BadConsultation("Questions に少なくとも一つの項目（q1=…）が必要です")
    return questions


def parse_personal_fields(value):
    """`name=required, email=optional` -> {field: mode}, in the order written."""
    fields = {}
    for part in filter(None, (p.strip() for p in _text(value).split(","))):
        key, sep, mode = (x.strip() for x in part.partition("="))
        if key not in PERSONAL_FIELD_NAMES:
            raise BadConsultation(
                f"Personal_fields の「{key}」は使えません（{', '.join(PERSONAL_FIELD_NAMES)}）"
            )
        if mode not in PERSONAL_FIELD_MODES:
            raise BadConsultation(
                f"Personal_fields の {key} は required か optional です（「{mode}」）"
            )
        fields[key] = mode
    return fields


def is_consultation(metadata):
    return str(metadata.get("template", "")).strip() == "consultation"


def consultation_of(metadata):
    """The consultation a page describes, as plain data (the API loads it from this)."""
    kind = str(metadata.get("kind") or "consultation").strip()
    if kind not in CONSULTATION_KINDS:
        raise BadConsultation(f"Kind は {', '.join(CONSULTATION_KINDS)} のどちらかです")
    window = {}
    for key in ("opens_at", "closes_at"):
        raw = metadata.get(key)
        if isinstance(raw, datetime):
            window[key] = raw if raw.tzinfo else raw.replace(tzinfo=JST)
        elif raw:
            window[key] = parse_datetime(raw)
        elif kind == "consultation":
            raise BadConsultation(f"意見募集には {key.capitalize()} が必要です")
        else:
            window[key] = None
    if window["opens_at"] and window["closes_at"] and window["closes_at"] <= window["opens_at"]:
        raise BadConsultation("Closes_at が Opens_at より前です")
    slug = str(metadata.get("slug", ""))
    return {
        "id": slug,
        "title": _text(metadata.get("title")),
        "kind": kind,
        "department": str(metadata.get("department", "")),
        "url": f"/consultations/{slug}/",
        "opens_at": window["opens_at"].isoformat() if window["opens_at"] else None,
        "closes_at": window["closes_at"].isoformat() if window["closes_at"] else None,
        "questions": [
            {"id": q, "label": label} for q, label in parse_questions(metadata.get("questions"))
        ],
        "personal_fields": parse_personal_fields(metadata.get("personal_fields")),
    }


def consultation_state(metadata, now):
    """upcoming / open / closed at `now`: the API's rule (Consultation.state), applied to
    the consultation as the API loads it from this page."""
    return Consultation.from_dict(consultation_of(metadata)).state(now)
