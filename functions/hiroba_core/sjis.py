"""Text for feature phones: Unicode to Shift_JIS (Windows-31J / cp932) without silent "?".

Handsets decode Shift_JIS; a few Unicode characters have no cp932 code, or have one that
only some handsets show (NEC/IBM extensions). MAPPING replaces each with a portable
character or words; anything else that cannot be encoded is an error for the build.
"""

import unicodedata

ENCODING = "cp932"
CHARSET_LABEL = "Shift_JIS"

MAPPING = {
    # JIS X 0208 characters that Unicode maps differently from Microsoft's cp932
    "\u301c": "\uff5e",  # 〜 WAVE DASH -> ～ FULLWIDTH TILDE
    "\u2014": "\u2015",  # — EM DASH -> ― HORIZONTAL BAR
    "\u2016": "\u2225",  # ‖ DOUBLE VERTICAL LINE -> ∥ PARALLEL TO
    "\u2212": "\uff0d",  # − MINUS SIGN -> － FULLWIDTH HYPHEN-MINUS
    "\u00a2": "\uffe0",  # ¢ -> ￠
    "\u00a3": "\uffe1",  # £ -> ￡
    "\u00ac": "\uffe2",  # ¬ -> ￢
    "\u203e": "\uffe3",  # ‾ OVERLINE -> ￣ FULLWIDTH MACRON
    "\u00a5": "\uffe5",  # ¥ -> ￥
    "\u2013": "\uff0d",  # – EN DASH -> －
    "\u00a0": " ",  # no-break space
    "\u2011": "-",  # non-breaking hyphen
    # NEC/IBM extensions: encodable in cp932 but not shown by every handset
    "髙": "高",
    "﨑": "崎",
    "德": "徳",
    "瀨": "瀬",
    "№": "No.",
    "℡": "TEL",
    "㈱": "(株)",
    "㈲": "(有)",
    "㍻": "平成",
    "㋿": "令和",
    # emoji and symbols handsets cannot show
    "\u26a0": "[注意]",  # ⚠
    "\u260e": "[電話]",  # ☎
    "\U0001f4de": "[電話]",  # 📞
    "\U0001f30a": "[津波]",  # 🌊
    "\U0001f6a8": "[緊急]",  # 🚨
    "\u2705": "[済]",  # ✅
    "\u274c": "[×]",  # ❌
    "\U0001f4e2": "[お知らせ]",  # 📢
    "\ufe0f": "",  # emoji variation selector
}
# ① … ⑳ and Ⅰ … Ⅻ: (1) … (20) and 1 … 12
MAPPING.update({chr(0x2460 + n): f"({n + 1})" for n in range(20)})
MAPPING.update({chr(0x2160 + n): unicodedata.normalize("NFKC", chr(0x2160 + n)) for n in range(12)})
MAPPING.update({chr(0x2170 + n): unicodedata.normalize("NFKC", chr(0x2170 + n)) for n in range(10)})
_TABLE = str.maketrans(MAPPING)


class Unencodable(ValueError):
    def __init__(self, char, context):
        self.char = char
        self.context = context
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        super().__init__(f"携帯版（Shift_JIS）で表示できない文字「{char}」（{name}）があります")


def portable(text):
    """The text with every mapped character replaced."""
    return text.translate(_TABLE)


def encode(text):
    """Encode for handsets; raises Unencodable naming the first character that has no code."""
    mapped = portable(text)
    try:
        return mapped.encode(ENCODING)
    except UnicodeEncodeError as error:
        char = mapped[error.start]
        raise Unencodable(char, mapped[max(0, error.start - 20) : error.start + 20]) from None
