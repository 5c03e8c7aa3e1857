"""The theme's Jinja environment for the pages the apps answer: the same templates folder,
base template, components, UI catalogs and frame (header, language switcher, navigation,
contact block, footer) as the site, so an app's page is a page of the site.

theme/ is beside hiroba_web/ in a Lambda zip (infra/aws/package.py copies the templates and
the compiled catalogs there) and at the repository's root otherwise. Autoescape is on:
whatever a resident sent is text.
"""

import tomllib
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, pass_context
from markupsafe import Markup

from hiroba_core import catalogue, theme
from hiroba_core.dates import format_date_ja, format_jst
from hiroba_core.ids import format_reference
from hiroba_core.languages import BY_CODE, DEFAULT, LANGUAGES
from hiroba_core.validation import AGE_GROUPS, MAX_ANSWER, PERSONAL_FIELDS

HERE = Path(__file__).resolve().parent
THEME = next(
    (folder for folder in (HERE.parent / "theme", HERE.parents[1] / "theme") if folder.is_dir()),
    HERE.parents[1] / "theme",
)
CODES = set(BY_CODE)


def _departments():
    """content/registry/departments.toml, or its packaged copy (like the catalogue)."""
    path = catalogue.default_path().parent / catalogue.DEPARTMENTS_FILE
    return tomllib.loads(path.read_text("utf-8"))


@lru_cache(maxsize=1)
def environment():
    """One environment per process (one Lambda container), built at the first page."""
    env = Environment(
        loader=FileSystemLoader(THEME / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
    )
    catalogs = theme.load_catalogs(THEME / "translations", LANGUAGES)

    def lang_of(ctx):
        code = ctx.get("LANG_CODE")
        return code if code in CODES else DEFAULT

    @pass_context
    def gettext(ctx, message):
        catalog = catalogs.get(lang_of(ctx))
        return catalog.gettext(message) if catalog else message

    @pass_context
    def ngettext(ctx, singular, plural, n):
        catalog = catalogs.get(lang_of(ctx))
        if catalog:
            return catalog.ngettext(singular, plural, n)
        return singular if n == 1 else plural

    @pass_context
    def lurl(ctx, path):
        return "/" + BY_CODE[lang_of(ctx)].prefix + path.lstrip("/")

    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(
        page_lang=pass_context(lang_of),
        lurl=lurl,
        LANGUAGES=LANGUAGES,
        LANGUAGE_BY_CODE=BY_CODE,
        DEFAULT_LANG=DEFAULT,
        SITEURL="",
        MENU=theme.MENU,
        FOOTER_LINKS=theme.FOOTER_LINKS,
        FEED_ATOM=theme.FEED_ATOM,
        FEED_RSS=theme.FEED_RSS,
        TRANSLATION_FEED_ATOM=theme.TRANSLATION_FEED_ATOM,
        JSON_FEED_SAVE_AS=theme.JSON_FEED_SAVE_AS,
        SITE_DEPARTMENT=theme.SITE_DEPARTMENT,
        DEPARTMENTS=_departments(),
        PERSONAL_FIELDS=PERSONAL_FIELDS,
        AGE_GROUPS=AGE_GROUPS,
        MAX_ANSWER=MAX_ANSWER,
        EMERGENCIES=[],  # the apps' pages are not spliced by the edge: no banner region
    )
    env.filters.update(
        html_lang=lambda code: BY_CODE[code].tag if code in BY_CODE else code,
        hreflang=lambda code: BY_CODE[code].hreflang if code in BY_CODE else code,
        neutral_path=lambda output_file: theme.neutral_path(output_file, CODES),
        emergency_region=Markup,
        jst=format_jst,
        reference=format_reference,  # 到達番号 as people read and quote it
        # the site's Babel-formatted dates (plugins/multilingual) are for its notices; the
        # apps' pages show moments with `jst`, and these only let the frame's templates load
        local_date=format_date_ja,
        local_time=lambda value: f"{value.hour}時{value.minute:02d}分",
        local_number=lambda value: f"{value:,}",
        yen=lambda amount: f"{amount:,}円",  # an amount of money on the pages (25,000円)
    )
    return env


def render(template, **context):
    """A page of the theme as text; the language switcher offers each language's home."""
    context.setdefault("output_file", "index.html")
    return environment().get_template(template).render(**context)
