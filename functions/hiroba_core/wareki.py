"""和暦 (Japanese era years): the eras, and reading a date people type in either calendar.

One definition for the site (plugins/wareki formats dates with ERAS) and the forms of the
apps (a date question accepts 令和8年4月1日, R8.4.1, 2026年4月1日 or 2026-04-01).
"""

import re
import unicodedata
from datetime import date

from .dates import format_date_ja

# (first day of the era, name, the letter people abbreviate it to); newest first
ERAS = (
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
    (date(1868, 1, 25), "明治", "M"),
)
_BY_NAME = {name: start for start, name, _ in ERAS} | {letter: start for start, _, letter in ERAS}
# era (name or letter) year (元 for the first), month, day; separated by 年月日 . / - or spaces
_WAREKI = re.compile(
    r"^(令和|平成|昭和|大正|明治|[RHSTM])\s*(元|\d{1,2})\s*[年./\-\s]\s*(\d{1,2})\s*[月./\-\s]"
    r"\s*(\d{1,2})\s*日?$",
    re.IGNORECASE,
)
_SEIREKI = re.compile(r"^(\d{4})\s*[年./\-\s]\s*(\d{1,2})\s*[月./\-\s]\s*(\d{1,2})\s*日?$")


def era_of(day):
    """(era name, year in it) of a date; None before 明治."""
    for start, name, _ in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    return None


def parse_date(text):
    """The date in `text` (和暦 or 西暦, full-width digits too), or None when it is not a
    date, or names a year the era did not have (平成32年 is 令和2年: refused, as a typo)."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    match = _WAREKI.match(value)
    try:
        if match:
            era, year, month, day = match.groups()
            start = _BY_NAME[era.upper() if len(era) == 1 else era]
            number = 1 if year == "元" else int(year)
            found = date(start.year + number - 1, int(month), int(day))
            if found < start or era_of(found)[0] != era_name(start):
                return None
            return found
        match = _SEIREKI.match(value)
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:  # 2月30日
        return None
    return None


def era_name(start):
    return next(name for first, name, _ in ERAS if first == start)


def format_wareki(day):
    """令和8年4月1日 (the first year of an era is 元年)."""
    era = era_of(day)
    if era is None:
        return format_date_ja(day)
    name, year = era
    return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
