"""Dates as people in Japan read them, one definition for the site build and the apps.

Every moment Hiroba shows is Japan Standard Time (UTC+9, no daylight saving).
"""

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def to_jst(value):
    """A datetime or an ISO 8601 string as an aware datetime in JST; a naive one is JST."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.replace(tzinfo=JST)
    return moment.astimezone(JST)


def format_jst(iso_or_datetime):
    """2026年11月27日 12:00 (JST) from an ISO 8601 string or a datetime; '' for None/''."""
    if not iso_or_datetime:
        return ""
    moment = to_jst(iso_or_datetime)
    return f"{format_date_ja(moment)} {moment:%H:%M}"


def format_date_ja(day):
    """2026年11月27日 from a date (a datetime is first read in JST)."""
    if isinstance(day, datetime):
        day = to_jst(day)
    elif not isinstance(day, date):
        raise TypeError(f"not a date: {day!r}")
    return f"{day.year}年{day.month}月{day.day}日"
