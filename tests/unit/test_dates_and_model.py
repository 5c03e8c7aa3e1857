from datetime import date, datetime

import pytest

from hiroba_core.content import model
from plugins.gojuon.gojuon import gojuon, row_of
from plugins.wareki.wareki import ja_date, wareki, wareki_year


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 27), "令和8年11月27日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (datetime(2026, 1, 2, 9, 30), "令和8年1月2日"),
    ],
)
def test_wareki(day, expected):
    assert wareki(day) == expected


def test_western_and_year_forms():
    assert ja_date(date(2026, 1, 2)) == "2026年1月2日"
    assert wareki_year(date(2019, 5, 1)) == "令和元年"


def test_dates_are_jst_unless_an_offset_is_given():
    assert model.parse_datetime("2026-12-01 09:00").isoformat() == "2026-12-01T09:00:00+09:00"
    assert model.parse_datetime("2026-12-01").isoformat() == "2026-12-01T00:00:00+09:00"
    utc = model.parse_datetime("2026-12-01T00:00:00Z")
    assert utc == model.parse_datetime("2026-12-01 09:00")


@pytest.mark.parametrize("text", ["2026-13-01", "2026/12/01", "12月1日", "2026-02-30", ""])
def test_bad_dates_are_refused(text):
    with pytest.raises(model.BadDate):
        model.parse_datetime(text)


def test_window_is_half_open():
    window = model.window_of({"publish_at": "2026-12-01 09:00", "expires_at": "2026-12-02"})
    assert not window.is_live(model.parse_datetime("2026-12-01 08:59"))
    assert window.is_live(model.parse_datetime("2026-12-01 09:00"))
    assert not window.is_live(model.parse_datetime("2026-12-02 00:00"))


def test_front_matter_keeps_line_numbers():
    front = model.read_front_matter("Title: 題名\nSummary: 一行目\n    続き\nSlug: x\n\n本文\n")
    assert front.values == {"title": "題名", "summary": "一行目 続き", "slug": "x"}
    assert front.lines == {"title": 1, "summary": 2, "slug": 4}
    assert front.body_start == 6


class Place:
    def __init__(self, title, kana):
        self.title, self.kana = title, kana


def test_gojuon_rows_fold_voiced_and_small_kana():
    assert row_of("ざおうまち") == "さ"
    assert row_of("ぱ") == "は"
    assert row_of("ゃ") == "や"
    with pytest.raises(ValueError):
        row_of("Sendai")
    places = [
        Place("蔵王町", "ざおうまち"),
        Place("石巻市", "いしのまき"),
        Place("塩竈市", "しおがまし"),
    ]
    rows = gojuon(places)
    assert [(row, [p.title for p in members]) for row, members in rows] == [
        ("あ", ["石巻市"]),
        ("さ", ["蔵王町", "塩竈市"]),
    ]
