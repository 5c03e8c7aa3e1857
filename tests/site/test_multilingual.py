"""Every page in every configured language: read it there, or be told where to read it."""

import re
from collections import defaultdict

import html5lib
import pytest
from pelican.settings import read_settings

from infra.i18n import catalogs
from plugins.multilingual.multilingual import languages
from tests.conftest import ROOT, make_content, notice, run_build

SETTINGS = read_settings(str(ROOT / "pelicanconf.py"))
LANGS = languages(SETTINGS)
FOREIGN = [lang for lang in LANGS if lang.code != "ja"]
KANA = re.compile(r"[\u3041-\u30ff]")
PARSER = html5lib.HTMLParser(namespaceHTMLElements=False)


def pages_in(site, language):
    folder = site / language.prefix if language.prefix else site
    found = []
    for path in sorted(folder.rglob("*.html")):
        top = path.relative_to(site).parts[0]
        if top in ("m", "pagefind") or (
            not language.prefix and top in {lang.code for lang in FOREIGN}
        ):
            continue
        found.append(path)
    return found


def texts_with_lang(element, inherited):
    """(text, effective lang) for every text node below the element."""
    lang = element.get("lang", inherited)
    if element.tag in ("script", "style"):
        return
    if element.text:
        yield element.text, lang
    for child in element:
        yield from texts_with_lang(child, lang)
        if child.tail:
            yield child.tail, lang


def misplaced_japanese(body, page_lang):
    """Kana outside lang=ja, and kanji outside Japanese or Chinese, as one string."""
    stray = []
    for text, lang in texts_with_lang(body, page_lang):
        if not lang.startswith("ja"):
            stray += KANA.findall(text)
        if not lang.startswith(("ja", "zh")):
            stray += re.findall(r"[\u4e00-\u9fff]", text)
    return "".join(stray)


def test_every_language_subsite_builds(site):
    for language in FOREIGN:
        home = site / language.prefix / "index.html"
        assert home.is_file(), language.code
        assert (site / language.prefix / "news" / "index.html").is_file()
        assert (site / language.prefix / "emergency" / "index.html").is_file()
        assert len(pages_in(site, language)) >= len(pages_in(site, LANGS[0])) * 0.9


@pytest.mark.parametrize("language", FOREIGN, ids=lambda lang: lang.code)
def test_lang_attributes_and_no_japanese_under_a_wrong_lang(site, language):
    for page in pages_in(site, language):
        tree = PARSER.parse(page.read_bytes())
        assert tree.get("lang") == language.tag, page
        if language.code == "easy":
            continue
        stray = misplaced_japanese(tree.find("body"), language.tag)
        assert not stray, f"{page.relative_to(site)}: Japanese outside lang=ja: {stray[:40]}"


def test_switcher_links_resolve_and_mark_the_current_language(site):
    for language in LANGS:
        for page in pages_in(site, language)[::7]:  # every 7th page of each language, ~1/7
            text = page.read_text("utf-8")
            switcher = re.search(r'<nav class="hiroba-languages".*?</nav>', text, re.S).group(0)
            links = re.findall(r'<a href="([^"]+)" lang="([^"]+)" hreflang="([^"]+)"', switcher)
            assert len(links) == len(LANGS)
            for href, _, _ in links:
                target = (
                    site / href.lstrip("/") / "index.html"
                    if href.endswith("/")
                    else site / href.lstrip("/")
                )
                assert target.is_file(), (page, href)
            current = re.findall(r'aria-current="true">([^<]+)<', switcher)
            assert current == [language.name], page


def test_hreflang_alternates_are_reciprocal_and_resolve(site):
    groups = defaultdict(set)
    seen = 0
    for page in site.rglob("index.html"):
        text = page.read_text("utf-8", errors="replace")
        alternates = re.findall(
            r'<link rel="alternate" hreflang="([^"]+)" href="http://127.0.0.1:8000/([^"]*)">', text
        )
        if not alternates:
            continue
        seen += 1
        versions = frozenset(alternates)
        japanese = next(href for lang, href in alternates if lang == "ja")
        assert ("x-default", japanese) in versions
        own = page.relative_to(site).as_posix().removesuffix("index.html")
        assert own in {href for _, href in alternates}, page
        for _, href in alternates:
            assert (site / href / "index.html").is_file(), href
        groups[versions].add(own)
    assert seen >= 17 * len(LANGS)  # 18 translated notices, one not yet published
    for versions, members in groups.items():
        # every version lists the same set, so each page is found from every other
        assert members == {href for lang, href in versions if lang != "x-default"}


def test_untranslated_page_gets_a_page_in_the_readers_language(site):
    page = (site / "en" / "policy" / "security" / "index.html").read_text("utf-8")
    assert 'href="/policy/security/"' in page and 'hreflang="ja"' in page
    assert '<meta name="robots" content="noindex">' in page
    assert "available in Japanese" in page or "in Japanese" in page


def test_per_language_feeds(site):
    import feedparser

    for language in FOREIGN:
        feed = feedparser.parse((site / language.code / "feeds" / "all.atom.xml").read_bytes())
        assert not feed.bozo and len(feed.entries) >= 17, language.code
        assert all(f"/{language.code}/news/" in entry.link for entry in feed.entries)


def test_sitemap_lists_alternates(site):
    sitemap = (site / "sitemap.xml").read_text("utf-8")
    assert sitemap.count('hreflang="x-default"') >= 17 * len(LANGS)
    assert 'hreflang="ja-x-easy"' in sitemap and 'hreflang="pt-BR"' in sitemap


def test_coverage_report(site):
    import json

    report = json.loads((site / "i18n" / "coverage.json").read_text("utf-8"))
    rows = {row["slug"]: row for row in report["categories"]}
    for slug in ("bousai", "kurashi", "kenko", "tetsuzuki"):
        for code, cell in rows[slug]["languages"].items():
            assert cell["mandatory"] and cell["percent"] == 100.0, (slug, code)
    assert rows["kensei"]["languages"]["en"]["mandatory"] is False
    page = (site / "about" / "translations" / "index.html").read_text("utf-8")
    assert "100%" in page and "English" in page


def test_catalogs_are_complete_for_every_language():
    assert catalogs.problems() == {}


def test_missing_mandatory_translation_fails_the_build(tmp_path):
    disaster = notice("hinan", "避難所の開設", body="本文です。").replace(
        "県政・行財政", "防災・危機管理"
    )
    content = make_content(tmp_path, {"news/hinan.md": disaster})
    result = run_build(content, tmp_path / "output")
    assert result.returncode == 1
    assert "news/hinan.md:3: " in result.stderr and "[missing-translation]" in result.stderr
    assert "en, zh-hans" in result.stderr


def test_catalog_template_matches_the_templates(tmp_path):
    """Every UI string in the templates and registries is in messages.pot (make translations)."""
    from babel.messages.pofile import read_po

    fresh = tmp_path / "messages.pot"
    catalogs.extract(fresh)
    with fresh.open("rb") as new, catalogs.TEMPLATE.open("rb") as committed:
        assert {m.id for m in read_po(new)} == {m.id for m in read_po(committed)}
