"""Pelican settings for the Hiroba site (local builds; publishconf.py overrides for production)."""

import json
import os
import re
import tomllib
from datetime import date
from pathlib import Path

from unidecode import unidecode

from hiroba_core import languages, theme

ROOT = Path(__file__).resolve().parent
# The frame every page has (menu, footer links, feeds, the default contact), one definition
# shared with the apps' pages (hiroba_web.templates)
MENU = theme.MENU
FOOTER_LINKS = theme.FOOTER_LINKS
SITE_DEPARTMENT = theme.SITE_DEPARTMENT
FEED_ATOM = theme.FEED_ATOM
FEED_RSS = theme.FEED_RSS
TRANSLATION_FEED_ATOM = theme.TRANSLATION_FEED_ATOM
TRANSLATION_FEED_RSS = theme.TRANSLATION_FEED_RSS
JSON_FEED_SAVE_AS = theme.JSON_FEED_SAVE_AS
SITENAME = "宮城県"
SITESUBTITLE = "宮城県公式ウェブサイト"
# Absolute, because feeds, the sitemap and canonical links need it. Pages link root-relative.
SITEURL = os.environ.get("HIROBA_SITEURL", "http://127.0.0.1:8000")
FEED_DOMAIN = SITEURL
TIMEZONE = "Asia/Tokyo"
DEFAULT_LANG = languages.DEFAULT
# The site's languages (code, BCP 47 tag, name, Babel locale), the same list the apps offer
# and check: adding a language is a line in hiroba_core/languages.py plus a catalog in
# theme/translations/.
HIROBA_LANGUAGES = languages.LANGUAGES

# 多言語化のルール: the categories whose every notice must exist in these languages
# ("all" = every language above). A missing translation stops the build.
MULTILINGUAL_COVERAGE_JSON = "i18n/coverage.json"
MULTILINGUAL_MANDATORY = {
    "bousai": "all",  # 防災・危機管理
    "kurashi": "all",  # くらし・環境
    "kenko": "all",  # 健康・福祉
    "tetsuzuki": "all",  # 手続き・電子申請
}
DEFAULT_DATE_FORMAT = "%Y-%m-%d"

PATH = os.environ.get("HIROBA_CONTENT", str(ROOT / "content"))
OUTPUT_PATH = os.environ.get("HIROBA_OUTPUT", str(ROOT / "output"))
THEME = str(ROOT / "theme")
DELETE_OUTPUT_DIRECTORY = True
OUTPUT_RETENTION = []
# Pelican's cache and its timestamps would make two builds of one commit differ.
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False

ARTICLE_PATHS = ["news", "media"]
PAGE_PATHS = ["pages", "consultations"]
STATIC_PATHS = ["images", "media/files", "documents"]
ARTICLE_EXCLUDES = ["media/files"]
IGNORE_FILES = [".#*", "*~", "README.md"]
READERS = {"html": None}  # editors write Markdown; stray .html files are not content

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.sane_lists": {},
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}

# The URL section of a file: news/ and media/ for articles, the folder below pages/ for pages.
PATH_METADATA = r"(?:pages/)?(?P<section>[^/]+)/.*"
ARTICLE_URL = "{section}/{slug}/"
ARTICLE_SAVE_AS = "{section}/{slug}/index.html"
PAGE_URL = "{section}/{slug}/"
PAGE_SAVE_AS = "{section}/{slug}/index.html"
ARTICLE_LANG_URL = "{lang}/{section}/{slug}/"
ARTICLE_LANG_SAVE_AS = "{lang}/{section}/{slug}/index.html"
PAGE_LANG_URL = "{lang}/{section}/{slug}/"
PAGE_LANG_SAVE_AS = "{lang}/{section}/{slug}/index.html"
DRAFT_URL = DRAFT_SAVE_AS = DRAFT_LANG_URL = DRAFT_LANG_SAVE_AS = ""
DRAFT_PAGE_URL = DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_LANG_URL = DRAFT_PAGE_LANG_SAVE_AS = ""
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = "category/{slug}/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
AUTHOR_URL = AUTHOR_SAVE_AS = AUTHORS_SAVE_AS = ""
YEAR_ARCHIVE_URL = "archives/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "archives/{date:%Y}/index.html"
MONTH_ARCHIVE_URL = MONTH_ARCHIVE_SAVE_AS = DAY_ARCHIVE_URL = DAY_ARCHIVE_SAVE_AS = ""
INDEX_URL = "news/"
INDEX_SAVE_AS = "news/index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = "archives/index.html"
CATEGORIES_URL = "category/"
CATEGORIES_SAVE_AS = "category/index.html"
TAGS_URL = "tag/"
TAGS_SAVE_AS = "tag/index.html"
SITEMAP_SAVE_AS = "sitemap.xml"
ROBOTS_SAVE_AS = "robots.txt"
DIRECT_TEMPLATES = ["index", "categories", "tags", "archives", "sitemap", "robots"]

DEFAULT_PAGINATION = 10
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None, "period_archives": None}
# Page n of every index lives in its own folder below the index: tag/t1/page/7/ can never be
# written over by tag/t17/ (Pelican's default {name}{number} pattern lets that happen).
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# the site's feeds (FEED_ATOM, FEED_RSS, TRANSLATION_FEED_*) are in hiroba_core.theme
FEED_ALL_ATOM = FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/{slug}.rss.xml"
TAG_FEED_ATOM = TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
FEED_MAX_ITEMS = 50
RSS_FEED_SUMMARY_ONLY = True

# Categories and tags are Japanese words; their URL slugs come from the taxonomy registry.


def _registry(name):
    """A registry file read while the settings load, before the content checks can run: a
    file that cannot be read stops the build with path:line, not a traceback."""
    path = Path(PATH) / "registry" / name
    try:
        text = path.read_bytes().decode("utf-8-sig")
        return json.loads(text) if name.endswith(".json") else tomllib.loads(text)
    except OSError as error:
        raise SystemExit(f"{path}:1: ファイルを読めません（{error.strerror}）") from None
    except UnicodeDecodeError:
        raise SystemExit(
            f"{path}:1: ファイルの文字コードが UTF-8 ではありません。make fix で変換してください"
        ) from None
    except json.JSONDecodeError as error:
        raise SystemExit(f"{path}:{error.lineno}: 書き方に誤りがあります（{error}）") from None
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"\(at line (\d+)", str(error))
        line = line.group(1) if line else 1
        raise SystemExit(f"{path}:{line}: 書き方に誤りがあります（{error}）") from None


TAXONOMY = _registry("taxonomy.toml")
DEPARTMENTS = _registry("departments.toml")


def _slugs(names):
    # Pelican transliterates a name (unidecode) before it applies substitutions, so each
    # pattern matches the transliteration of one whole registered name.
    return [
        (rf"^\s*{re.escape(unidecode(name).strip())}\s*$", slug) for name, slug in names.items()
    ]


CATEGORY_REGEX_SUBSTITUTIONS = _slugs(TAXONOMY["categories"])
TAG_REGEX_SUBSTITUTIONS = _slugs(TAXONOMY["tags"])

JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}

PLUGIN_PATHS = [str(ROOT)]  # plugins are the package `plugins`
PLUGINS = [
    "plugins.progress",  # first: it announces each stage before the others do their part
    "plugins.parallel_write",  # the output written by two processes (both cores)
    "plugins.parallel_read",  # the Markdown converted by two processes, half each
    "plugins.wareki",
    "plugins.table_captions",
    "plugins.content_checks",
    "plugins.schedule",
    "plugins.gojuon",
    "plugins.consultations",
    "plugins.json_feed",
    "plugins.multilingual",
    "plugins.furigana",
    "plugins.emergency",
    "plugins.newsletter",
    "plugins.procedure_pages",
    # after every plugin that writes pages to index: Pagefind then runs while /m/ and the
    # fallback pages are written
    "plugins.search_index",
    "plugins.mobile_site",
    "plugins.web_editor",
    # after every plugin that writes pages: its generator finds them in the output
    "plugins.fallback_pages",
]

# Build time: fixed by HIROBA_NOW (ISO 8601) for reproducible builds and tests.
HIROBA_NOW = os.environ.get("HIROBA_NOW")
SEARCH_INDEX = os.environ.get("HIROBA_SEARCH_INDEX", "1") == "1"


def _(text):
    """Marks a UI string for the catalogs (make translations); templates translate it."""
    return text


# 手続き・電子申請 (plugins/procedure_pages): pages from registry/procedures.toml in these
# languages (the others get the fallback page), and the plan's indicators as open data.
PROCEDURE_PAGES_URL = "procedures/"
PROCEDURE_PAGES_LANGUAGES = ["ja", "en"]
PROCEDURE_PAGES_INDICATOR_JSON = "documents/open-data/e-application-usage.json"
# メルマガ・みやぎ (plugins/newsletter): topic id -> name, categories and tags it covers.
# The ids are those of functions/hiroba_core/domain/subscription.py (a test keeps them equal).
NEWSLETTER_TOPICS = {
    "bousai": {"name": _("防災"), "categories": ["防災・危機管理"], "tags": ["地震", "津波"]},
    "kanko": {"name": _("観光"), "categories": ["観光・交流"], "tags": ["みやぎの四季"]},
    "event": {"name": _("イベント"), "categories": [], "tags": ["イベント"]},
    "kensei": {"name": _("県政"), "categories": ["県政・行財政"], "tags": ["知事記者会見"]},
}
DEFAULT_METADATA = {"order": "99"}  # section indexes sort by Order, then by slug
# URL section -> (name, index URL) for breadcrumbs
SECTIONS = {
    "news": (_("お知らせ"), "/news/"),
    "media": (_("インターネット放送局"), "/category/hosokyoku/"),
    "policy": (_("電子自治体化の推進"), "/policy/"),
    "municipalities": (_("県内の市町村"), "/municipalities/"),
    "about": (_("このサイトについて"), "/about/site-policy/"),
    "consultations": (_("意見募集"), "/consultations/"),
    "procedures": (_("手続き・電子申請"), "/procedures/"),
}

# The latest run of `make a11y-report`, rendered on the accessibility pages.
_A11Y = Path(PATH) / "registry" / "a11y-results.json"
A11Y_RESULTS = _registry(_A11Y.name) if _A11Y.is_file() else None
if A11Y_RESULTS:
    A11Y_RESULTS["tested_on"] = date.fromisoformat(A11Y_RESULTS["tested_on"])
