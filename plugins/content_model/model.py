"""What a content file may say in its front matter, and how Hiroba reads it.

Framework-free so that the checks, the schedule and the tests share one definition.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

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
}
DATE_FIELDS = ("date", "modified", "publish_at", "expires_at")
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
    lines = text.splitlines()
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
