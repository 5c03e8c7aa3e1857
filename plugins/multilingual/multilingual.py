"""Multilingual site: a subsite per language at /<code>/, UI strings through gettext.

- Languages come from HIROBA_LANGUAGES (pelicanconf: hiroba_core.languages); translations are Markdown files
  beside their Japanese source (`x.en.md`, `Lang: en`, `Translation_key: <slug>`), which
  Pelican writes at /<code>/<section>/<slug>/.
- Templates translate UI strings with `_()`; the catalog is chosen per page from the page's
  language (`page_lang()`), so one build renders every language.
- Each language gets a home page, a notice list and category lists of its translations;
  every other page of the site gets a page in that language saying the information is in
  Japanese, with the link (plugins/fallback_pages: a switcher link never leads to a 404).
- A coverage report (language x category) is written as JSON and shown on a page.
"""

import json
from datetime import datetime
from pathlib import Path

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import pass_context
from pelican import signals
from pelican.generators import Generator

from hiroba_core.languages import Language
from hiroba_core.theme import load_catalogs, neutral_path

from .. import settings as plugin_settings
from ..settings import Setting
from ..wareki.wareki import wareki


def _mandatory(value):
    """category slug -> "all" or a list of language codes"""
    return isinstance(value, dict) and all(
        isinstance(slug, str) and (langs == "all" or plugin_settings.list_of_text(langs))
        for slug, langs in value.items()
    )


SETTINGS = {
    "MULTILINGUAL_TRANSLATIONS": Setting(
        "theme/translations", plugin_settings.text, "カタログのフォルダー（theme/translations）"
    ),
    # category slug -> languages every page of it must exist in ("all" or a list of codes);
    # the site's rules are in pelicanconf.py
    "MULTILINGUAL_MANDATORY": Setting(
        {}, _mandatory, '{分類のスラッグ: "all" または言語コードのリスト} の辞書'
    ),
    # also read by the coverage page
    "MULTILINGUAL_COVERAGE_JSON": Setting(
        "i18n/coverage.json", plugin_settings.save_as, "サイト内の相対パス（i18n/coverage.json）"
    ),
    "MULTILINGUAL_PER_PAGE": Setting(10, plugin_settings.positive_int, "1 以上の整数"),
}
# The build's one Site (catalogs compiled once), kept in the build's own settings.
SITE = "MULTILINGUAL_SITE"
# admin: the web editor; .pagefind-source: what Pagefind reads while it runs (search_index)
SKIP_FOLDERS = {"m", "pagefind", ".pagefind-source", "theme", "feeds", "i18n", "admin"}


def languages(settings):
    """The site's Language objects (hiroba_core.languages), or rows of four read as such."""
    return [
        row if isinstance(row, Language) else Language(*row) for row in settings["HIROBA_LANGUAGES"]
    ]


class Site:
    """What the templates ask: the page's language, its URLs, translated strings."""

    def __init__(self, settings):
        self.settings = plugin_settings.with_defaults(settings, SETTINGS)
        self.langs = languages(self.settings)
        self.by_code = {language.code: language for language in self.langs}
        self.default = self.settings["DEFAULT_LANG"]
        root = Path(self.settings["THEME"]).parent
        folder = Path(self.settings["MULTILINGUAL_TRANSLATIONS"])
        self.catalogs = load_catalogs(folder if folder.is_absolute() else root / folder, self.langs)

    def lang_of(self, ctx):
        code = ctx.get("LANG_CODE")
        if code:
            return code
        item = ctx.get("article") or ctx.get("page")
        lang = getattr(item, "lang", None) if item is not None else None
        return lang if lang in self.by_code else self.default

    def gettext(self, ctx, message):
        catalog = self.catalogs.get(self.lang_of(ctx))
        return catalog.gettext(message) if catalog else message

    def ngettext(self, ctx, singular, plural, n):
        catalog = self.catalogs.get(self.lang_of(ctx))
        if catalog:
            return catalog.ngettext(singular, plural, n)
        return singular if n == 1 else plural

    def install(self, env):
        site = self

        @pass_context
        def gettext(ctx, message):
            return site.gettext(ctx, message)

        @pass_context
        def ngettext(ctx, singular, plural, n):
            return site.ngettext(ctx, singular, plural, n)

        @pass_context
        def page_lang(ctx):
            return site.lang_of(ctx)

        @pass_context
        def lurl(ctx, path):
            """A site path in the page's language: lurl('/news/') -> '/en/news/'."""
            return "/" + site.by_code[site.lang_of(ctx)].prefix + path.lstrip("/")

        @pass_context
        def local_date(ctx, value):
            code = site.lang_of(ctx)
            if code in ("ja", "easy"):
                day = value.date() if isinstance(value, datetime) else value
                return f"{wareki(day)}（{day.isoformat()}）"
            return format_date(value, format="long", locale=site.by_code[code].locale)

        @pass_context
        def local_time(ctx, value):
            code = site.lang_of(ctx)
            if code in ("ja", "easy"):
                return f"{value.hour}時{value.minute:02d}分"
            return format_time(value, format="short", locale=site.by_code[code].locale)

        @pass_context
        def local_number(ctx, value):
            return format_decimal(value, locale=site.by_code[site.lang_of(ctx)].locale)

        env.add_extension("jinja2.ext.i18n")
        env.install_gettext_callables(gettext, ngettext, newstyle=True)
        env.globals.update(
            page_lang=page_lang,
            lurl=lurl,
            LANGUAGES=self.langs,
            LANGUAGE_BY_CODE=self.by_code,
        )
        env.filters.update(
            local_date=local_date,
            local_time=local_time,
            local_number=local_number,
            html_lang=lambda code: self.by_code[code].tag if code in self.by_code else code,
            hreflang=lambda code: self.by_code[code].hreflang if code in self.by_code else code,
            neutral_path=lambda output_file: neutral_path(output_file, set(self.by_code)),
        )


def check_languages(settings):
    codes = [row[0] for row in settings["HIROBA_LANGUAGES"]]
    for slug, langs in settings["MULTILINGUAL_MANDATORY"].items():
        unknown = [] if langs == "all" else [code for code in langs if code not in codes]
        if unknown:
            plugin_settings.fail(
                "MULTILINGUAL_MANDATORY",
                {slug: langs},
                f"HIROBA_LANGUAGES の言語（{', '.join(codes)}）",
            )


def initialized(pelican):
    settings = plugin_settings.read(pelican.settings, SETTINGS, check_languages)
    settings[SITE] = Site(settings)


def site_for(settings):
    """The build's Site; one made now for settings that no build has read (operator tools)."""
    return settings.get(SITE) or Site(settings)


def install_on_generator(generator):
    if hasattr(generator, "env"):
        site_for(generator.settings).install(generator.env)


# ---------------------------------------------------------------- the language subsites


def translations_by_lang(articles):
    """{code: [translated articles, newest first]} from the Japanese originals."""
    found = {}
    for article in articles:
        for translation in getattr(article, "translations", []):
            found.setdefault(translation.lang, []).append(translation)
    return found


class MultilingualGenerator(Generator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site_for(self.settings)
        self.site.install(self.env)

    def write(self, save_as, template, **context):
        html = self.get_template(template.removesuffix(".html")).render(
            **self.context, **context, output_file=save_as
        )
        target = Path(self.output_path) / save_as
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, "utf-8")

    def generate_output(self, writer):
        articles = self.context["articles"]
        translated = translations_by_lang(articles)
        categories = [category for category, _ in self.context["categories"]]
        per_page = self.settings["MULTILINGUAL_PER_PAGE"]
        for language in self.site.langs:
            if language.code == self.site.default:
                continue
            items = sorted(translated.get(language.code, []), key=lambda a: a.date, reverse=True)
            notices = [a for a in items if a.metadata.get("section") == "news"]
            base = {"LANG_CODE": language.code}
            self.write(f"{language.prefix}index.html", "lang_home.html", notices=notices, **base)
            self._paginated(
                f"{language.prefix}news/", notices, per_page, "lang_list.html", base, None
            )
            for category in categories:
                members = [a for a in items if a.category == category]
                self._paginated(
                    f"{language.prefix}category/{category.slug}/",
                    members,
                    per_page,
                    "lang_list.html",
                    base,
                    category,
                )
        self.write_coverage()

    def _paginated(self, base_url, items, per_page, template, context, category):
        chunks = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]
        links = [f"/{base_url}"] + [f"/{base_url}page/{n}/" for n in range(2, len(chunks) + 1)]
        for number, chunk in enumerate(chunks, 1):
            save_as = links[number - 1].lstrip("/") + "index.html"
            self.write(
                save_as,
                template,
                items=chunk,
                category=category,
                current=number,
                links=links,
                **context,
            )

    def write_coverage(self):
        target = Path(self.output_path) / self.settings["MULTILINGUAL_COVERAGE_JSON"]
        target.parent.mkdir(parents=True, exist_ok=True)
        report = json.dumps(self.context["I18N_COVERAGE"], ensure_ascii=False, indent=1)
        target.write_text(report + "\n", "utf-8")


def add_coverage(generator):
    """Before pages are written, so the coverage page can show the table."""
    settings = generator.settings
    articles = generator.articles
    generator.context["I18N_COVERAGE"] = coverage(
        articles, translations_by_lang(articles), languages(settings), settings
    )


def coverage(articles, translated, langs, settings):
    """Language x category: how many of the Japanese articles exist in each language."""
    mandatory = settings["MULTILINGUAL_MANDATORY"]
    rows = []
    categories = sorted({a.category for a in articles}, key=lambda c: c.slug)
    for category in categories:
        total = sum(1 for a in articles if a.category == category)
        cells = {}
        for language in langs:
            if language.code == settings["DEFAULT_LANG"]:
                continue
            count = sum(1 for a in translated.get(language.code, []) if a.category == category)
            required = mandatory.get(category.slug)
            cells[language.code] = {
                "count": count,
                "percent": round(100 * count / total, 1) if total else 0.0,
                "mandatory": required == "all"
                or (isinstance(required, list) and language.code in required),
            }
        rows.append(
            {"category": category.name, "slug": category.slug, "total": total, "languages": cells}
        )
    return {
        "languages": [lang.code for lang in langs if lang.code != settings["DEFAULT_LANG"]],
        "categories": rows,
    }


def get_generators(pelican):
    return MultilingualGenerator


def register():
    signals.initialized.connect(initialized)
    signals.generator_init.connect(install_on_generator)
    signals.article_generator_finalized.connect(add_coverage)
    signals.get_generators.connect(get_generators)
