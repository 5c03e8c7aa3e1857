"""五十音 index: a template filter that groups pages by the row of their reading (Kana)."""

import unicodedata

from pelican import signals

ROWS = (
    ("あ", "あいうえお"),
    ("か", "かきくけこ"),
    ("さ", "さしすせそ"),
    ("た", "たちつてと"),
    ("な", "なにぬねの"),
    ("は", "はひふへほ"),
    ("ま", "まみむめも"),
    ("や", "やゆよ"),
    ("ら", "らりるれろ"),
    ("わ", "わをん"),
)
_SMALL = str.maketrans("ぁぃぅぇぉっゃゅょゎ", "あいうえおつやゆよわ")


def row_of(kana):
    """The 五十音 row of a reading: 'ざおうまち' -> 'さ' (voiced and small kana fold)."""
    first = unicodedata.normalize("NFD", kana[:1])[:1].translate(_SMALL)
    for label, members in ROWS:
        if first in members:
            return label
    raise ValueError(f"読みがひらがなではありません: {kana!r}")


def gojuon(pages):
    """[(row, [pages sorted by reading])] for the pages that have a Kana, in 五十音 order."""
    readings = sorted(
        (page for page in pages if getattr(page, "kana", None)), key=lambda page: page.kana
    )
    rows = {label: [] for label, _ in ROWS}
    for page in readings:
        rows[row_of(page.kana)].append(page)
    return [(label, members) for label, members in rows.items() if members]


def add_filter(pelican):
    pelican.settings.setdefault("JINJA_FILTERS", {})["gojuon"] = gojuon


def register():
    signals.initialized.connect(add_filter)
