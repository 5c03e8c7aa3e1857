"""The site's languages: one list for the site build (switcher, hreflang, catalogs, CAP) and
the apps (newsletter language choice and its validation).

One line each: URL code (also the content files' `Lang:`), BCP 47 tag for lang/hreflang, the
language's name in its own script, Babel locale for dates and numbers. Adding a language is a
line here plus a catalog in theme/translations/.
"""

from typing import NamedTuple

# やさしい日本語 is Japanese (lang="ja") but a version of its own where a tag must tell the
# two apart: hreflang, and the <language> of a CAP alert (a private-use subtag, RFC 5646).
EASY_JAPANESE_TAG = "ja-x-easy"


class Language(NamedTuple):
    code: str  # URL folder and the files' Lang:
    tag: str  # BCP 47, for lang and hreflang
    name: str  # in its own script
    locale: str  # Babel

    @property
    def prefix(self):
        """The URL folder of this language's pages: '' for Japanese, 'en/' for English."""
        return "" if self.code == DEFAULT else f"{self.code}/"

    @property
    def hreflang(self):
        """The tag that tells this version apart from every other (ja-x-easy for easy)."""
        return EASY_JAPANESE_TAG if self.code == "easy" else self.tag


DEFAULT = "ja"
LANGUAGES = (
    Language("ja", "ja", "日本語", "ja_JP"),
    Language("easy", "ja", "やさしい日本語", "ja_JP"),
    Language("en", "en", "English", "en"),
    Language("zh-hans", "zh-Hans", "简体中文", "zh_Hans_CN"),
    Language("zh-hant", "zh-Hant", "繁體中文", "zh_Hant_TW"),
    Language("ko", "ko", "한국어", "ko_KR"),
    Language("pt-br", "pt-BR", "Português", "pt_BR"),
    Language("es", "es", "Español", "es"),
    Language("vi", "vi", "Tiếng Việt", "vi_VN"),
    Language("tl", "tl", "Tagalog", "fil_PH"),
    Language("ne", "ne", "नेपाली", "ne_NP"),
    Language("id", "id", "Bahasa Indonesia", "id_ID"),
)
CODES = tuple(language.code for language in LANGUAGES)
BY_CODE = {language.code: language for language in LANGUAGES}
NAMES = {language.code: language.name for language in LANGUAGES}


def hreflang(code, tags=None):
    """The distinguishing tag of a language code; `tags` (code -> BCP 47) if the site has
    its own list, else this one. An unknown code is returned as it is."""
    if code == "easy":
        return EASY_JAPANESE_TAG
    if tags is None:
        tags = {language.code: language.tag for language in LANGUAGES}
    return tags.get(code, code)
