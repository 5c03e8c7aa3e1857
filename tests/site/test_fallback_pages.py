"""The language fallback pages come from a generator (plugins/fallback_pages), written in its
generate_output after every other generator has written its pages; no `finalized` handler
writes them."""

import pytest
from pelican import Pelican, signals
from pelican.generators import StaticGenerator
from pelican.settings import read_settings

from plugins.fallback_pages.fallback_pages import FallbackGenerator, title_of
from plugins.multilingual.multilingual import languages
from tests.conftest import ROOT, make_content, notice, run_build

SETTINGS = read_settings(str(ROOT / "pelicanconf.py"))
FOREIGN = [lang for lang in languages(SETTINGS) if lang.code != SETTINGS["DEFAULT_LANG"]]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("fallbacks")
    content = make_content(
        base,
        {
            "news/visit.md": notice("visit", "県庁舎の<見学会>"),
            "news/visit.en.md": notice("visit", "Tour of the prefectural office", extra="Lang: en"),
            "news/budget.md": notice("budget", "予算の概要"),
        },
    )
    output = base / "output"
    result = run_build(content, output)
    assert result.returncode == 0, result.stdout + result.stderr
    return output


def test_every_page_without_a_translation_has_a_fallback_in_every_language(built):
    for language in FOREIGN:
        page = (built / language.prefix / "news" / "budget" / "index.html").read_text("utf-8")
        assert f'<html lang="{language.tag}">' in page
        assert '<meta name="robots" content="noindex">' in page
        assert '<link rel="canonical" href="http://127.0.0.1:8000/news/budget/">' in page
        # the original, by the heading its own page has, in Japanese
        assert '<a href="/news/budget/" lang="ja" hreflang="ja">予算の概要</a>' in page


def test_the_title_is_the_original_heading_escaped(built):
    page = (built / "en" / "news" / "visit" / "index.html").read_text("utf-8")
    assert "Tour of the prefectural office" in page  # the translation, not a fallback
    page = (built / "ko" / "news" / "visit" / "index.html").read_text("utf-8")
    assert '<a href="/news/visit/" lang="ja" hreflang="ja">県庁舎の&lt;見学会&gt;</a>' in page


def test_pages_of_later_generators_have_fallbacks_too(built):
    """The emergency page and the newsletter archive are written by plugin generators that
    run after multilingual: the fallback generator runs after them."""
    for path in ("emergency/index.html", "newsletter/index.html", "news/index.html"):
        assert (built / path).is_file(), path
        for language in FOREIGN:
            assert (built / language.prefix / path).is_file(), (language.code, path)
    page = (built / "en" / "newsletter" / "index.html").read_text("utf-8")
    assert '<a href="/newsletter/" lang="ja" hreflang="ja">メルマガ・みやぎ</a>' in page


def test_no_fallback_for_the_skipped_folders(built):
    for language in FOREIGN:
        assert not (built / language.prefix / "m").exists()
        assert not (built / language.prefix / "admin").exists()


def test_the_generator_writes_them_and_no_finalized_handler_does(tmp_path):
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(tmp_path)})
    pelican = Pelican(settings)
    classes = pelican._get_generator_classes()
    # last before Pelican's StaticGenerator (which writes no pages): after every plugin's
    assert classes[-2:] == [FallbackGenerator, StaticGenerator]
    finalized = {receiver.__module__ for receiver in signals.finalized.receivers_for(pelican)}
    assert "plugins.fallback_pages.fallback_pages" not in finalized
    assert "plugins.multilingual.multilingual" not in finalized
    assert finalized <= {"plugins.search_index.search_index", "plugins.progress.progress"}


def test_title_of():
    assert title_of("<main><h1 class='x'>A <em>&amp;</em> B</h1><h1>C</h1>") == "A & B"
    assert title_of("<p>no heading</p>") == ""
