"""What the theme's templates need besides Jinja, one definition for the site build
(pelicanconf.py, plugins/multilingual) and the apps' pages (hiroba_web/templates.py): the
frame every page has (menu, footer links, feeds, the office whose contact block a page
without a department shows) and the UI catalogs of theme/translations.

The catalogs are compiled in memory from the .po files where they are (the repository: Babel
is there, as it is for `make translations`), so a .mo left by an earlier `make translations`
can never hide a newer translation; a Lambda zip has only the .mo files
(infra/aws/package.py compiles them) and reads those.
"""

import gettext
import io
from pathlib import Path


def _(text):
    """Marks a UI string for the catalogs (make translations); the templates translate it."""
    return text


MENU = [
    (_("お知らせ"), "/news/"),
    (_("手続き・電子申請"), "/procedures/"),
    (_("電子自治体化の推進"), "/policy/"),
    (_("インターネット放送局"), "/category/hosokyoku/"),
    (_("県内の市町村"), "/municipalities/"),
    (_("意見募集"), "/consultations/"),
]
FOOTER_LINKS = [
    (_("メルマガ・みやぎ"), "/newsletter/"),
    (_("このサイトについて"), "/about/site-policy/"),
    (_("個人情報の取扱い"), "/about/privacy/"),
    (_("オープンデータ"), "/about/open-data/"),
    (_("サイトの使い方"), "/about/help/"),
    (_("ウェブアクセシビリティ方針"), "/about/accessibility/"),
    (_("携帯電話版（ポケットみやぎ）"), "/m/"),
    (_("サイト内検索"), "/search/"),
    (_("分類の一覧"), "/category/"),
]
SITE_DEPARTMENT = "koho"  # whose contact block index pages (and the apps' pages) show
# the site's feeds carry the Japanese notices; each language has its own
FEED_ATOM = "feeds/all.atom.xml"
FEED_RSS = "feeds/all.rss.xml"
TRANSLATION_FEED_ATOM = "{lang}/feeds/all.atom.xml"
TRANSLATION_FEED_RSS = "{lang}/feeds/all.rss.xml"
JSON_FEED_SAVE_AS = "feeds/notices.json"


def neutral_path(output_file, codes):
    """'en/news/x/index.html' -> 'news/x/'; the same page's path in every language."""
    parts = output_file.split("/")
    if parts[0] in codes:
        parts = parts[1:]
    path = "/".join(parts)
    if path.endswith("index.html"):
        path = path[: -len("index.html")]
    return path


def catalog_dir(language):
    """The catalog folder: the Babel locale, with @easy for やさしい日本語."""
    return "ja_JP@easy" if language.code == "easy" else language.locale


def load_catalogs(folder, languages):
    """{code: GNUTranslations} from <folder>/<catalog_dir>/LC_MESSAGES/messages.(mo|po);
    a language without a catalog (Japanese, the source language) is left out."""
    catalogs = {}
    for language in languages:
        messages = Path(folder) / catalog_dir(language) / "LC_MESSAGES"
        if (messages / "messages.po").is_file():
            catalogs[language.code] = gettext.GNUTranslations(
                io.BytesIO(compile_po(messages / "messages.po", catalog_dir(language)))
            )
        elif (messages / "messages.mo").is_file():
            with (messages / "messages.mo").open("rb") as handle:
                catalogs[language.code] = gettext.GNUTranslations(handle)
    return catalogs


def compile_po(path, locale):
    """The .mo bytes of a .po file (Babel: the repository and the packaging step have it)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with Path(path).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()
