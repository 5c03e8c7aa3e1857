"""Characters: what a screen reader, a phone or another computer cannot show or read as
meant. `make fix` (fix.py) corrects all of them."""

import re
import unicodedata

from .rule import TextRule

JAPANESE = "[\u3041-\u30ff\u3400-\u9fff々〆ヶ]"
# three or more single characters separated by spaces: 「お 知 ら せ」 (a name such as
# 「宮城 太郎」 has one space between words and is fine)
SPACED_WORD = re.compile(f"(?<!{JAPANESE}){JAPANESE}(?:[ \u3000]{JAPANESE}(?!{JAPANESE})){{2,}}")
# NEC/IBM extensions of Shift_JIS and other characters that differ between platforms
MACHINE_DEPENDENT = re.compile(
    "[\u2460-\u24ff\u2776-\u2793\u2160-\u2188\u3200-\u32ff\u3300-\u33ff\u2116\u2121\u301d\u301f]"
)
# What each one is written as instead: the check's hint and `make fix` (fix.py) use this.
UNITS = {"㎡": "平方メートル", "㎥": "立方メートル", "㎠": "平方センチメートル", "㏍": "株式会社"}
HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")
FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
SLASH_DATE = re.compile(r"(?<![\d/])(\d{4}|\d{2})([/.])(\d{1,2})\2(\d{1,2})(?![\d/])")


def machine_dependent_replacement(char):
    """The portable spelling of a 機種依存文字 (① → (1), ㈱ → （株）, Ⅳ → 4, ㌔ → キロ), or
    None when there is none that keeps the meaning (〝 〟)."""
    if char in UNITS:
        return UNITS[char]
    name = unicodedata.name(char, "")
    if "ROMAN NUMERAL" in name:
        return str(int(unicodedata.numeric(char)))
    if "CIRCLED" in name and ("NUMBER" in name or "DIGIT" in name):
        return f"({int(unicodedata.numeric(char))})"
    text = unicodedata.normalize("NFKC", char)
    if text == char:
        return None
    if "CIRCLED" in name:  # ㊤ ㋐: the circle marks the character, as brackets do
        text = f"({text})"
    if text.startswith("(") and text.endswith(")") and not text[1:-1].isascii():
        text = f"（{text[1:-1]}）"  # ㈱ → （株）: Japanese inside, Japanese brackets
    return text


class MachineDependentCharacter(TextRule):
    id = "machine-dependent-character"
    description = "機種依存文字 (①, ㈱, Ⅳ, ㌔ ...)"

    def check_text(self, text):
        for char in dict.fromkeys(MACHINE_DEPENDENT.findall(text)):
            hint = machine_dependent_replacement(char)
            how = f"「{hint}」のように書いてください" if hint else "別の文字で書いてください"
            yield f"機種依存文字「{char}」は環境によって表示できません。{how}"


class HalfWidthKatakana(TextRule):
    id = "half-width-katakana"
    description = "半角カタカナ"

    def check_text(self, text):
        for run in HALF_WIDTH_KANA.findall(text):
            yield f"半角カタカナ「{run}」は使えません。全角で「{unicodedata.normalize('NFKC', run)}」と書いてください"


class FullWidthAlphanumeric(TextRule):
    id = "full-width-alphanumeric"
    description = "全角英数字"

    def check_text(self, text):
        for run in FULL_WIDTH_ALNUM.findall(text):
            yield f"全角英数字「{run}」は読み上げや検索で問題になります。半角で「{unicodedata.normalize('NFKC', run)}」と書いてください"


class SpaceInWord(TextRule):
    id = "space-in-word"
    description = "spaces inside a Japanese word"

    def check_text(self, text):
        for match in SPACED_WORD.finditer(text):
            yield f"語の途中に空白があります（「{match.group(0)}」）。読み上げソフトが一字ずつ読んでしまいます"


class DateFormat(TextRule):
    id = "date-format"
    description = "date written 2026/1/2 instead of 2026年1月2日"

    def check_text(self, text):
        for match in SLASH_DATE.finditer(text):
            year, _, month, day = match.groups()
            yield f"日付「{match.group(0)}」は「{year}年{int(month)}月{int(day)}日」のように書いてください"
