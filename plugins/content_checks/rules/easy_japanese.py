"""やさしい日本語: the pages in Easy Japanese (`Lang: easy`) are short sentences in plain
polite form, with few kanji. Over the soft limits warns; over the hard ones stops the build."""

import re

from ..sources import prose
from .rule import Rule

EASY_ENDING = re.compile(
    r"(です|ます|ません|ました|でした|ください|ましょう|でしょう|ませんか|ますか|ですか)$"
)
DOUBLE_NEGATIVE = re.compile(
    r"(ないことはない|ないこともない|なくはない|なくもない|ないわけではない|ないわけにはいかない"
    r"|ざるを得ない|ざるをえない|ないではいられない)"
)
HONORIFIC = re.compile(
    r"(いらっしゃ|おっしゃ|ご覧にな|召し上が|申し上げ|存じ|伺い|伺う|伺っ|参り|参る|いたしま|いたし|"
    r"お越し|拝見|拝読|お[\u3040-\u309f\u4e00-\u9fff]{1,4}にな[りるっれ])"
)
RUBY = re.compile(r"\{([^{}|]+)\|[^{}]+\}")
KANJI = re.compile(r"[\u3400-\u9fff々]")


def easy_sentences(source):
    """(line, sentence) of an Easy Japanese page's prose; ruby overrides count as their base."""
    for number, line in source.lines:
        text = RUBY.sub(r"\1", prose(line))
        text = re.sub(r"^\s*(#+|[-*+]|\d+\.|\|)\s*", "", text).replace("|", " ").strip()
        for sentence in re.findall(r"[^。！？!?]+[。！？!?]?", text):
            if sentence.strip():
                yield number, sentence.strip()


class EasyRule(Rule):
    """A rule on each sentence of a page in やさしい日本語."""

    def check_source(self, source, site):
        if source.lang != "easy":
            return
        for number, sentence in easy_sentences(source):
            for message, warning in self.check_sentence(sentence):
                yield source.at(number, message, self.id, warning=warning)

    def check_sentence(self, sentence):
        """(message, is a warning) of each problem in one sentence."""
        return ()


class EasySentenceLength(EasyRule):
    id = "easy-sentence-length"
    description = "やさしい日本語: sentence over 30 characters (warning) or 50 (error)"

    def check_sentence(self, sentence):
        length = len(sentence)
        if length > 50:
            yield (
                f"文が長すぎます（{length}文字）。50文字以内、できれば30文字以内にしてください",
                False,
            )
        elif length > 30:
            yield f"文が長めです（{length}文字）。30文字以内にできないか見直してください", True


class EasyKanji(EasyRule):
    id = "easy-kanji"
    description = "やさしい日本語: too many kanji in one sentence (over 10 warns, over 20 fails)"

    def check_sentence(self, sentence):
        kanji = len(KANJI.findall(sentence))
        if kanji > 20:
            yield f"一つの文に漢字が{kanji}字あります。ひらがなや短い文にしてください", False
        elif kanji > 10:
            yield f"一つの文に漢字が{kanji}字あります。減らせないか見直してください", True


class EasyEnding(EasyRule):
    id = "easy-ending"
    description = "やさしい日本語: sentence not ending in です / ます"

    def check_sentence(self, sentence):
        if sentence.endswith("。") and not EASY_ENDING.search(
            sentence.rstrip("。」）)").rstrip("。")
        ):
            yield f"文の終わりを「です」「ます」にしてください（「{sentence[-8:]}」）", False


class EasyDoubleNegative(EasyRule):
    id = "easy-double-negative"
    description = "やさしい日本語: double negative"

    def check_sentence(self, sentence):
        for match in DOUBLE_NEGATIVE.findall(sentence):
            yield f"二重否定「{match}」は使わないでください", False


class EasyHonorific(EasyRule):
    id = "easy-honorific"
    description = "やさしい日本語: honorific or humble form"

    def check_sentence(self, sentence):
        for match in HONORIFIC.findall(sentence):
            yield (
                f"敬語「{match}」は使わないでください。「見ます」「言います」のように書いてください",
                False,
            )
