"""Date filters for templates: 和暦 (Japanese era) and 西暦 forms of a date."""

from datetime import datetime

from pelican import signals

from hiroba_core.dates import format_date_ja
from hiroba_core.wareki import format_wareki


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def wareki(value):
    """令和8年11月27日. The first year of an era is written 元年 (hiroba_core.wareki)."""
    return format_wareki(_as_date(value))


def wareki_year(value):
    """令和8年"""
    return wareki(value).split("年", 1)[0] + "年"


def ja_date(value):
    """2026年11月27日"""
    return format_date_ja(_as_date(value))


def iso_date(value):
    """2026-11-27"""
    return _as_date(value).isoformat()


FILTERS = {"wareki": wareki, "wareki_year": wareki_year, "ja_date": ja_date, "iso_date": iso_date}


def add_filters(pelican):
    pelican.settings.setdefault("JINJA_FILTERS", {}).update(FILTERS)


def register():
    signals.initialized.connect(add_filters)
