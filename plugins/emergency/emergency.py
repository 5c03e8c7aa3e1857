"""Emergency information (緊急情報) on every output, and its fast path.

A notice with `Emergency: true` puts a banner at the top of every page of every output while
it is live (publish_at … expires_at), and is published as an emergency-only Atom/RSS feed,
a page (/emergency/) and CAP 1.2 alerts for relays to data broadcasting / L-Alert operators.

Everything here is computed from the source files' front matter, so that the full build and
the fast path (`make emergency`, see __main__.py) write byte-identical emergency outputs.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from feedgenerator import Atom1Feed, Rss201rev2Feed
from markupsafe import Markup
from pelican import signals

from hiroba_core import emergency_region as edge
from hiroba_core import sjis
from hiroba_core.content import model
from hiroba_core.languages import hreflang

from .. import settings as plugin_settings
from ..settings import Setting

SEVERITY_LABELS = {"extreme": "極めて重大", "severe": "重大", "moderate": "警戒", "minor": "注意"}
# CAP <category> by the notice's tags; anything else is public safety
CAP_CATEGORIES = {"地震": "Geo", "津波": "Geo"}
MARKER = re.compile(r"<!--hiroba:emergency-->.*?<!--/hiroba:emergency[ ]*-->", re.S)
_PATH = "サイト内の相対パス"
SETTINGS = {
    "EMERGENCY_PAGE_SAVE_AS": Setting("emergency/index.html", plugin_settings.save_as, _PATH),
    "EMERGENCY_PAGE_URL": Setting("emergency/", plugin_settings.save_as, _PATH),
    "EMERGENCY_FEED_ATOM": Setting("feeds/emergency.atom.xml", plugin_settings.save_as, _PATH),
    "EMERGENCY_FEED_RSS": Setting("feeds/emergency.rss.xml", plugin_settings.save_as, _PATH),
    "EMERGENCY_CAP_INDEX": Setting("feeds/emergency-cap.atom.xml", plugin_settings.save_as, _PATH),
    "EMERGENCY_CAP_SAVE_AS": Setting(
        "emergency/cap/{identifier}.xml",
        lambda v: plugin_settings.save_as(v) and "{identifier}" in v,
        "{identifier} を含むサイト内の相対パス",
    ),
    # CAP <sender>: the issuing authority's domain
    "EMERGENCY_CAP_SENDER": Setting(
        "www.pref.miyagi.jp",
        lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9.-]+", v) is not None,
        "ドメイン名（www.pref.miyagi.jp）",
    ),
}


@dataclass(frozen=True)
class Emergency:
    """One live emergency notice, in one language."""

    identifier: str
    slug: str
    lang: str
    title: str
    summary: str
    severity: str
    area: str
    issued: datetime
    expires: datetime | None
    url: str
    categories: tuple
    # (language, URL) of the notice's page in every other language, for the original:
    # there the Japanese text is shown until the translation is written
    lang_urls: tuple = ()
    source: str = ""  # the file, relative to the content folder
    original: bool = True  # in the default language, not a translation

    @property
    def severity_label(self):
        return SEVERITY_LABELS[self.severity]

    def link(self, lang):
        """The notice's page for a reader of `lang` (site-absolute path)."""
        if lang == self.lang:
            return "/" + self.url
        return "/" + dict(self.lang_urls).get(lang, self.url)


def settings_with_defaults(settings):
    """For the operator tools, which read the settings without a build."""
    return plugin_settings.with_defaults(settings, SETTINGS)


def _flagged(path):
    """The front matter of a file marked `Emergency: true`, else None."""
    text = path.read_text("utf-8")
    # most files are not emergencies: skip parsing them (the fast path may read every file)
    if "emergency" not in text.partition("\n\n")[0].lower():
        return None
    values = model.read_front_matter(text).values
    return values if model.is_true(values.get("emergency", "")) else None


def _watched(values, now):
    """Worth reading again by `make emergency FILE=…`: live, or not yet expired."""
    try:
        expires = model.window_of(values).expires_at
    except model.BadDate:
        return True  # read again, and reported by the checks, until it is fixed
    return values.get("status", "published") == "published" and (expires is None or now < expires)


def _emergency_of(values, path, content_root, settings, now):
    if values.get("status", "published") != "published":
        return None
    try:
        window = model.window_of(values)
        issued = model.parse_datetime(values.get("date", ""))
    except model.BadDate:
        return None  # the content checks name the file and the line
    if not window.is_live(now) or values.get("severity") not in SEVERITY_LABELS:
        return None
    if not values.get("slug") or not values.get("title") or not values.get("area"):
        return None
    section = path.relative_to(content_root).parts[0]
    lang = values.get("lang") or settings["DEFAULT_LANG"]
    key = "ARTICLE_URL" if lang == settings["DEFAULT_LANG"] else "ARTICLE_LANG_URL"
    tags = tuple(t.strip() for t in values.get("tags", "").split(",") if t.strip())
    lang_urls = ()
    if lang == settings["DEFAULT_LANG"]:
        lang_urls = tuple(
            (
                code,
                settings["ARTICLE_LANG_URL"].format(
                    section=section, slug=values["slug"], lang=code, date=issued
                ),
            )
            for code in language_codes(settings)
            if code != lang
        )
    return Emergency(
        identifier=values.get("translation_key") or values["slug"],
        slug=values["slug"],
        lang=lang,
        title=values["title"],
        summary=values.get("summary", ""),
        severity=values["severity"],
        area=values["area"],
        issued=issued,
        expires=window.expires_at,
        url=settings[key].format(section=section, slug=values["slug"], lang=lang, date=issued),
        categories=tags,
        lang_urls=lang_urls,
        source=path.relative_to(content_root).as_posix(),
        original=lang == settings["DEFAULT_LANG"],
    )


def scan(settings, now, paths=None):
    """(live emergencies newest first, watched sources) from the sources' front matter.

    `paths` limits the reading to those files (the fast path with FILE=…); by default every
    article is read. Watched sources are the emergency files not yet expired, relative to
    the content folder: the fast path reads them again instead of the whole content.
    """
    content_root = Path(settings["PATH"]).resolve()
    if paths is None:
        paths = [p for top in settings["ARTICLE_PATHS"] for p in (content_root / top).rglob("*.md")]
    found, watched = [], []
    for path in sorted(set(paths)):
        values = _flagged(path) if path.is_file() else None
        if values is None:
            continue
        if _watched(values, now):
            watched.append(path.relative_to(content_root).as_posix())
        emergency = _emergency_of(values, path, content_root, settings, now)
        if emergency:
            found.append(emergency)
    found.sort(key=lambda e: (e.issued, e.identifier), reverse=True)
    return found, watched


def live_emergencies(settings, now, paths=None):
    """Every live emergency notice, newest first, read from the sources' front matter."""
    return scan(settings, now, paths)[0]


def in_language(emergencies, lang):
    """The banner's notices: each in `lang` where translated, else in the default language."""
    chosen = {}
    for emergency in emergencies:
        current = chosen.get(emergency.identifier)
        # a translation into a third language (やさしい日本語 for an English reader) only
        # stands in when there is no original
        better = (
            current is None
            or emergency.lang == lang
            or (current.lang != lang and emergency.original and not current.original)
        )
        if better:
            chosen[emergency.identifier] = emergency
    return [e for e in emergencies if chosen.get(e.identifier) is e]


# ---------------------------------------------------------------- outputs


def cap_alert(versions, settings):
    """A CAP 1.2 alert with one <info> per language version of one emergency."""
    first = versions[0]
    siteurl = settings["SITEURL"]

    def stamp(value):
        return value.isoformat(timespec="seconds")

    tags = {row[0]: row[1] for row in settings.get("HIROBA_LANGUAGES", [])}
    infos = []
    for e in versions:
        # CAP <language> is RFC 3066; やさしい日本語 is marked as a Japanese variant
        language = hreflang(e.lang, tags)
        category = next((CAP_CATEGORIES[t] for t in e.categories if t in CAP_CATEGORIES), "Safety")
        expires = f"\n    <expires>{stamp(e.expires)}</expires>" if e.expires else ""
        infos.append(
            f"""  <info>
    <language>{escape(language)}</language>
    <category>{category}</category>
    <event>{escape(e.title)}</event>
    <urgency>Immediate</urgency>
    <severity>{e.severity.capitalize()}</severity>
    <certainty>Observed</certainty>
    <effective>{stamp(e.issued)}</effective>{expires}
    <senderName>{escape(settings["SITENAME"])}</senderName>
    <headline>{escape(e.title)}</headline>
    <description>{escape(e.summary)}</description>
    <web>{escape(f"{siteurl}/{e.url}")}</web>
    <area>
      <areaDesc>{escape(e.area)}</areaDesc>
    </area>
  </info>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{escape(settings["EMERGENCY_CAP_SENDER"])}.{escape(first.identifier)}</identifier>
  <sender>{escape(settings["EMERGENCY_CAP_SENDER"])}</sender>
  <sent>{stamp(first.issued)}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
{chr(10).join(infos)}
</alert>
"""


def _feed(feed_class, emergencies, settings, save_as, title):
    siteurl = settings["SITEURL"]
    feed = feed_class(
        title=title,
        link=f"{siteurl}/{settings['EMERGENCY_PAGE_URL']}",
        feed_url=f"{siteurl}/{save_as}",
        description="宮城県の緊急情報",
        language=settings["DEFAULT_LANG"],
    )
    # an empty feed would otherwise say it was updated at the clock's now, and two builds
    # of one commit would differ
    newest = max(
        (e.issued for e in emergencies), default=model.build_time(settings.get("HIROBA_NOW"))
    )
    feed.latest_post_date = lambda: newest
    for e in emergencies:
        feed.add_item(
            title=f"【{e.severity_label}】{e.title}",
            link=f"{siteurl}/{e.url}",
            unique_id=f"{siteurl}/{e.url}",
            description=f"{e.summary}（対象地域：{e.area}）",
            pubdate=e.issued,
            updateddate=e.issued,
        )
    return feed


def _write(output_path, save_as, text):
    target = Path(output_path) / save_as
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")


def write_outputs(emergencies, settings, env, output_path):
    """The emergency page, feeds and CAP alerts: the same bytes from either path."""
    default = in_language(emergencies, settings["DEFAULT_LANG"])
    template = env.get_template("emergency.html")
    for code in language_codes(settings):
        prefix = "" if code == settings["DEFAULT_LANG"] else f"{code}/"
        save_as = prefix + settings["EMERGENCY_PAGE_SAVE_AS"]
        page = template.render(
            **settings,
            EMERGENCIES=in_language(emergencies, code),
            LANG_CODE=code,
            output_file=save_as,
        )
        _write(output_path, save_as, page)
    for feed_class, key in (
        (Atom1Feed, "EMERGENCY_FEED_ATOM"),
        (Rss201rev2Feed, "EMERGENCY_FEED_RSS"),
    ):
        feed = _feed(
            feed_class, default, settings, settings[key], f"{settings['SITENAME']} 緊急情報"
        )
        _write(output_path, settings[key], feed.writeString("utf-8"))
    # CAP: one alert per emergency, listed by an Atom index for relays
    index = Atom1Feed(
        title=f"{settings['SITENAME']} 緊急情報（CAP 1.2）",
        link=f"{settings['SITEURL']}/{settings['EMERGENCY_PAGE_URL']}",
        feed_url=f"{settings['SITEURL']}/{settings['EMERGENCY_CAP_INDEX']}",
        description="CAP 1.2 alerts",
        language=settings["DEFAULT_LANG"],
    )
    newest = max((e.issued for e in default), default=model.build_time(settings.get("HIROBA_NOW")))
    index.latest_post_date = lambda: newest
    cap_folder = Path(output_path) / Path(settings["EMERGENCY_CAP_SAVE_AS"]).parent
    if cap_folder.is_dir():
        for stale in cap_folder.glob("*.xml"):
            stale.unlink()
    for e in default:
        versions = [v for v in emergencies if v.identifier == e.identifier]
        versions.sort(key=lambda v: (v.lang != settings["DEFAULT_LANG"], v.lang))
        save_as = settings["EMERGENCY_CAP_SAVE_AS"].format(identifier=e.identifier)
        _write(output_path, save_as, cap_alert(versions, settings))
        index.add_item(
            title=e.title,
            link=f"{settings['SITEURL']}/{save_as}",
            unique_id=f"{settings['SITEURL']}/{save_as}",
            description=e.summary,
            pubdate=e.issued,
            updateddate=e.issued,
        )
    _write(output_path, settings["EMERGENCY_CAP_INDEX"], index.writeString("utf-8"))


UNTRANSLATED_TEMPLATE = "emergency_untranslated"


def translation_id(article):
    return getattr(article, "translation_key", None) or article.slug


def write_untranslated(articles, emergencies, context, env, output_path):
    """The page of each live emergency notice in every language it has no translation in
    (the Japanese text, with a line saying the translation is being prepared), so that the
    banner of every language links to a page in that language. Returns the files written."""
    live = {e.identifier for e in emergencies if e.lang == context["DEFAULT_LANG"]}
    template = env.get_template(f"{UNTRANSLATED_TEMPLATE}.html")
    written = []
    for article in articles:
        if article.lang != context["DEFAULT_LANG"] or translation_id(article) not in live:
            continue
        versions = {article.lang: article, **{t.lang: t for t in article.translations}}
        for code in language_codes(context):
            if code in versions:
                continue
            save_as = context["ARTICLE_LANG_SAVE_AS"].format(**{**article.url_format, "lang": code})
            page = template.render(
                **context,
                article=article,
                easy=versions.get("easy"),
                LANG_CODE=code,
                output_file=save_as,
            )
            _write(output_path, save_as, page)
            written.append(save_as)
    return written


def language_codes(settings):
    return [row[0] for row in settings.get("HIROBA_LANGUAGES", [(settings["DEFAULT_LANG"],)])]


BANNER = (
    '{% from "components/emergency_banner/macro.html" import emergency_banner with context %}'
    "{{ emergency_banner(EMERGENCIES, VARIANT) }}"
)
# Every page reserves this many bytes for the banner region, so that the fast path can
# overwrite it in place without reading or rewriting whole pages (a larger banner still
# works: those pages are rewritten whole).
REGION_BYTES = {"main": 2048, "mobile": 768}
END_MARK = "<!--/hiroba:emergency"


def utf8(text):
    return text.encode("utf-8")


def padded(region, size, encode=utf8):
    """The region with spaces inside its closing comment, up to `size` encoded bytes."""
    missing = size - len(encode(region))
    if missing <= 0:
        return region
    head, _, tail = region.rpartition(END_MARK)
    return head + END_MARK + " " * missing + tail


def banner_html(env, emergencies, variant="main", lang=None, encode=utf8):
    """The banner region, markers and padding included, exactly as pages carry it."""
    region = env.from_string(BANNER).render(
        EMERGENCIES=emergencies, VARIANT=variant, LANG_CODE=lang
    )
    size = REGION_BYTES["main" if variant == "main" else "mobile"]
    return padded(region, size, encode)


def regions(emergencies, settings, env):
    """The banner region of every kind of page (name -> bytes, as pages carry it).

    Names come from functions/hiroba_core/emergency_region.py: `main.<lang>.inc` for the site and each language,
    `mobile.<lang>` and `mobile-top.<lang>` for ポケットみやぎ, which is in Shift_JIS.
    """

    default = settings["DEFAULT_LANG"]
    found = {}
    for code in language_codes(settings):
        html = banner_html(env, in_language(emergencies, code), "main", code)
        found[f"main.{code}.inc"] = utf8(html)
    shown = in_language(emergencies, default)
    for variant in ("mobile", "mobile-top"):
        html = banner_html(env, shown, variant, default, encode=sjis.encode)
        found[f"{variant}.{default}.inc"] = sjis.encode(html)
    return found


WATCHED = f"{edge.FOLDER}/sources.json"


def write_watched(watched, output_path):
    """The emergency sources the next `make emergency FILE=…` reads again."""
    target = Path(output_path) / WATCHED
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(sorted(watched), ensure_ascii=False, indent=1) + "\n", "utf-8")


def read_watched(output_path):
    """The watched sources of the last build or fast path, or None when there are none."""
    target = Path(output_path) / WATCHED
    return json.loads(target.read_text("utf-8")) if target.is_file() else None


def write_regions(found, settings, output_path, now):
    """Write the regions and their manifest into `_emergency/`, for the edge to serve;
    `now` is the instant the emergencies were read at."""
    folder = Path(output_path) / edge.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in found.items():
        (folder / name).write_bytes(data)
    codes = set(language_codes(settings)) - {settings["DEFAULT_LANG"]}
    manifest = edge.manifest_bytes(
        settings["DEFAULT_LANG"], codes, settings.get("MOBILE_PATH", "m"), now.isoformat()
    )
    (Path(output_path) / edge.MANIFEST).write_bytes(manifest)


def region_filter(markup):
    """Template filter for base.html: the main site's banner region, padded."""
    return Markup(padded(str(markup), REGION_BYTES["main"]))


# ---------------------------------------------------------------- wiring into Pelican


def add_to_context(generator):
    """Before any page is written, put the live emergencies in every template's context."""
    settings = generator.settings
    now = model.build_time(settings.get("HIROBA_NOW"))
    emergencies, watched = scan(settings, now)
    generator.context["EMERGENCIES_READ_AT"] = now
    generator.context["EMERGENCIES"] = in_language(emergencies, settings["DEFAULT_LANG"])
    generator.context["ALL_EMERGENCIES"] = emergencies
    generator.context["WATCHED_EMERGENCY_SOURCES"] = watched
    # each page shows the banner in its own language (base.html picks by page_lang())
    generator.context["EMERGENCIES_BY_LANG"] = {
        code: in_language(emergencies, code) for code in language_codes(settings)
    }


class EmergencyGenerator:
    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path

    def generate_output(self, writer):
        from pelican.generators import Generator

        env = Generator(
            self.context,
            self.settings,
            self.settings["PATH"],
            self.settings["THEME"],
            self.output_path,
        ).env
        found = self.context["ALL_EMERGENCIES"]
        write_outputs(found, self.settings, env, self.output_path)
        context = {**self.settings, **self.context}
        write_untranslated(self.context["articles"], found, context, env, self.output_path)
        found_regions = regions(found, self.settings, env)
        read_at = self.context["EMERGENCIES_READ_AT"]
        write_regions(found_regions, self.settings, self.output_path, read_at)
        write_watched(self.context["WATCHED_EMERGENCY_SOURCES"], self.output_path)


def get_generators(pelican):
    return EmergencyGenerator


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS)
    pelican.settings.setdefault("JINJA_FILTERS", {})["emergency_region"] = region_filter


def register():
    signals.initialized.connect(initialized)
    signals.article_generator_init.connect(add_to_context)
    signals.get_generators.connect(get_generators)
