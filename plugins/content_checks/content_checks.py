"""Content checks: the build gate every Markdown file passes before anything is written.

Each rule (rules/: front matter, body and links, characters, やさしい日本語, translations,
the files themselves; one class per rule, listed in rules.REGISTRY) reads the source text, so
it can name `path:line`, and where it must, what the generators know about the site (output
paths, live content). A violation stops the build with one `path:line: message [rule]` line
each and a non-zero exit, never a traceback. This module wires the rules into Pelican.
"""

import fnmatch
import sys
from datetime import datetime
from pathlib import Path

from pelican import signals

from .. import settings as plugin_settings
from ..parallel_read import parallel_read
from ..settings import Setting
from . import catalogue_check, encoding
from .rules import REGISTRY, RULES, TextRule, body
from .rules.files import FileScope
from .sources import ContentCheckFailed, Site, Violation, find_sources, read_source, shown

# the names the operator tools, fix.py and the tests use from here
__all__ = ["RULES", "ContentCheckFailed", "check_named_files", "check_site", "read_source"]


def character_rules(text):
    """(message, rule) for each character problem in a piece of prose."""
    for rule in REGISTRY:
        if isinstance(rule, TextRule):
            for message in rule.check_text(text):
                yield message, rule.id


def check_files(content_root, article_paths, page_paths, static_paths, ignore=()):
    """Before anything reads content/: every text file is UTF-8, nothing stray in page folders.

    Runs first (at `initialized`) because other plugins read sources before the checks do.
    """
    files = FileScope(
        content_root,
        tuple(f"{top}/" for top in (*article_paths, *page_paths)),
        tuple(f"{top.rstrip('/')}/" for top in static_paths),
    )
    for path in sorted(content_root.rglob("*")):
        relpath = path.relative_to(content_root).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in relpath.split("/")):
            continue
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in ignore):
            continue  # IGNORE_FILES: Pelican does not read them either
        for rule in REGISTRY:
            yield from rule.check_file(path, files)


def check_html(source):
    """The raw HTML policy (html_policy) on the body and on Summary, which Pelican renders."""
    for rule in REGISTRY:
        if isinstance(rule, body.HtmlPolicyRule):
            yield from rule.check_source(source)


def each_source(sources, site):
    violations = set()
    for source in sources:
        for rule in REGISTRY:
            violations.update(rule.check_source(source, site))
    return violations


def run_checks(sources, site, halves=None):
    """Every rule on every source; `halves` (plugins/parallel_read) checks the files one by
    one on both cores, then the rules that need every file at once run here."""
    if halves is None:
        violations = each_source(sources, site)
    else:
        violations = set().union(*halves(lambda some: each_source(some, site), sources))
    for rule in REGISTRY:
        violations.update(rule.check_sources(sources, site))
    return sorted(violations)


# ---------------------------------------------------------------- wiring into Pelican


def site_from_settings(settings):
    """The registries, languages and templates of the site, without its content."""
    theme_templates = Path(settings["THEME"]) / "templates"
    return Site(
        content_root=Path(settings["PATH"]),
        static_paths=settings["STATIC_PATHS"],
        siteurl=settings["SITEURL"],
        departments={k: v for k, v in settings["DEPARTMENTS"].items() if k != "defaults"},
        categories=settings["TAXONOMY"]["categories"],
        tags=settings["TAXONOMY"]["tags"],
        languages=tuple(
            code for code, *_ in settings.get("HIROBA_LANGUAGES", [(settings["DEFAULT_LANG"],)])
        ),
        templates={p.stem for p in theme_templates.glob("*.html")},
        mandatory=settings.get("MULTILINGUAL_MANDATORY", {}),
    )


def site_from_generators(generators):
    settings = generators[0].settings
    context = generators[0].context
    site = site_from_settings(settings)
    site.live_sources = dict(context.get("generated_content", {}))

    def written(save_as, owner=None):
        if save_as:
            site.outputs[save_as] += 1
            if owner:  # the last file in path order, as duplicate-slug names it
                site.output_owner[save_as] = max(owner, site.output_owner.get(save_as, owner))

    objects = {}  # each content object once (they compare by identity), in reading order
    for generator in generators:
        for attribute in (
            "articles",
            "translations",
            "hidden_articles",
            "hidden_translations",
            "pages",
            "hidden_pages",
            "staticfiles",
        ):
            for item in getattr(generator, attribute, []):
                objects.setdefault(item)
        for attribute in ("categories", "tags"):
            taxa = getattr(generator, attribute, None) or []
            for taxon in taxa.keys() if isinstance(taxa, dict) else (t for t, _ in taxa):
                written(taxon.save_as)
        # generators that write pages of their own (procedure_pages) list them, so links
        # from content to those pages resolve
        for save_as in getattr(generator, "outputs", ()):
            written(save_as)
        for year in {a.date.year for a in getattr(generator, "articles", [])}:
            if settings.get("YEAR_ARCHIVE_SAVE_AS"):
                written(settings["YEAR_ARCHIVE_SAVE_AS"].format(date=datetime(year, 1, 1)))
    for item in objects:
        written(item.save_as, item.get_relative_source_path())
    for name in settings["DIRECT_TEMPLATES"]:
        written(settings.get(f"{name.upper()}_SAVE_AS", f"{name}.html"))
    for key in ("FEED_ATOM", "FEED_RSS", "JSON_FEED_SAVE_AS"):
        written(settings.get(key))
    for generator in generators:
        for category, _ in getattr(generator, "categories", None) or []:
            for key in ("CATEGORY_FEED_ATOM", "CATEGORY_FEED_RSS"):
                if settings.get(key):
                    written(settings[key].format(slug=category.slug))
    return site


# rules whose violations `make fix` (fix.py) corrects, except what would change the meaning
FIXABLE = {
    "encoding",
    "machine-dependent-character",
    "half-width-katakana",
    "full-width-alphanumeric",
    "space-in-word",
    "date-format",
}


def report(violations, style="text"):
    """Print each violation (text: `path:line: message [rule]`; github: an annotation);
    stop with ContentCheckFailed when any is an error."""
    for violation in violations:
        line = violation.github() if style == "github" else str(violation)
        sys.stderr.write(f"{line}\n")
    errors = [v for v in violations if not v.warning]
    fixable = [v for v in errors if v.rule in FIXABLE]
    if errors:
        sys.stderr.write(f"content checks: {len(errors)} error(s); nothing was published\n")
        if fixable:
            sys.stderr.write(f"content checks: うち {len(fixable)} 件は make fix で直せます\n")
        raise ContentCheckFailed(1)


def check_site(generators):
    settings = generators[0].settings
    site = site_from_generators(generators)
    sources = list(
        find_sources(site.content_root, settings["ARTICLE_PATHS"], settings["PAGE_PATHS"])
    )
    in_two = parallel_read.halves if settings.get("PARALLEL_READ") else None
    violations = run_checks(sources, site, in_two)
    violations += sorted(check_newsletter_html(site.content_root, settings))
    violations += [Violation(*p, "bad-value") for p in catalogue_check.problems(site.content_root)]
    report(violations, settings.get("CONTENT_CHECKS_FORMAT", "text"))
    return sources


def check_newsletter_html(content_root, settings):
    """Newsletter issues are Markdown that becomes pages and mails: the same HTML policy."""
    folder = content_root / settings.get("NEWSLETTER_PATH", "newsletter")
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if not path.is_file():
            continue
        try:
            source = read_source(path, content_root, ())
        except encoding.NotUtf8:
            continue  # reported by check_files
        yield from check_html(source)


FORMATS = ("text", "github")  # CONTENT_CHECKS_FORMAT; make check FORMAT=github sets it
SETTINGS = {
    "CONTENT_CHECKS_FORMAT": Setting("text", lambda v: v in FORMATS, " text か github"),
}


def check_content_files(pelican):
    settings = plugin_settings.read(pelican.settings, SETTINGS)
    violations = check_files(
        Path(settings["PATH"]),
        settings["ARTICLE_PATHS"],
        settings["PAGE_PATHS"],
        settings["STATIC_PATHS"],
        settings.get("IGNORE_FILES", ()),
    )
    report(sorted(violations), settings["CONTENT_CHECKS_FORMAT"])


def check_named_files(paths, settings, live_sources, outputs):
    """The violations of these files alone, by the same rules as the build (the emergency
    fast path checks the notice it publishes and its translations, not the whole site).

    `live_sources` answers `relpath in …` (and `.get(relpath).url`) for link targets, and
    `outputs` answers `save_as in …` for what the site serves (its `.items()` may be empty:
    duplicate outputs need the whole site): the caller decides how, as it has not read the
    site.
    """
    site = site_from_settings(settings)
    site.live_sources, site.outputs = live_sources, outputs
    root = site.content_root.resolve()
    sources, unreadable = [], []
    for path in paths:
        path = Path(path).resolve()
        try:
            sources.append(read_source(path, root, settings["ARTICLE_PATHS"]))
        except encoding.NotUtf8 as problem:
            rule = "encoding" if problem.encoding else "not-text"
            unreadable.append(Violation(shown(path), 1, problem.message, rule))
    return unreadable + run_checks(sources, site)


def register():
    signals.initialized.connect(check_content_files)
    signals.all_generators_finalized.connect(check_site)
