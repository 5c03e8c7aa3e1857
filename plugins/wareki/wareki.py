"""Date filters for templates: 和暦 (Japanese era) and 西暦 forms of a date."""

from datetime import date, datetime

from pelican import signals

from hiroba_core.dates import format_date_ja

# (first day of the era, name); newest first
ERAS = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1868, 1, 25), "明治"),
)


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def wareki(value):
    """令和8年11月27日. The first year of an era is written 元年."""
    day = _as_date(value)
    for start, name in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{name}{year_text}年{day.month}月{day.day}日"
    return ja_date(day)


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
