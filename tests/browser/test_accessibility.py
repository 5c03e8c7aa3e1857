"""Accessibility is a build gate: axe-core finds nothing on any page, at any width."""

from pathlib import Path

import pytest
from pelican.settings import read_settings

from infra.a11y import gate
from tests.conftest import ROOT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "a11y"


LANGUAGE_FOLDERS = [
    code for code, *_ in read_settings(str(ROOT / "pelicanconf.py"))["HIROBA_LANGUAGES"]
]


def pages_of(site, code):
    """The pages of one language subsite (ja: the main site outside the subsites)."""
    pages = gate.html_pages(site)
    if code == "ja":
        others = tuple(f"/{c}/" for c in LANGUAGE_FOLDERS if c != "ja")
        return [p for p in pages if not p.startswith(others)]
    return [p for p in pages if p.startswith(f"/{code}/")]


# the Japanese site has about twice the pages of a language subsite: two halves, so the two
# workers finish together (every page is audited, in one half or the other)
HALVES = {"ja": 2}
SUBSITES = [
    pytest.param(code, half, id=f"{code}-{half + 1}of{HALVES[code]}" if code in HALVES else code)
    for code in LANGUAGE_FOLDERS
    for half in range(HALVES.get(code, 1))
]


@pytest.mark.parametrize(("code", "half"), SUBSITES)
def test_no_page_has_an_axe_violation_or_needs_horizontal_scrolling(
    browser, site, site_url, code, half
):
    pages = pages_of(site, code)
    assert len(pages) >= 100  # every generated page of the subsite, not a sample
    # the procedure guide (plugins/procedure_pages) is audited like every page: its own pages
    # in Japanese and English, the fallback page elsewhere
    prefix = "" if code == "ja" else f"/{code}"
    guide = ["procedures/", "procedures/dantai/041009/", "procedures/category/zeikin/"]
    guide += ["procedures/life-event/hikkoshi/", "procedures/nozei-shomei/"]
    guide += ["procedures/indicators/"]
    assert {f"{prefix}/{path}" for path in guide} <= set(pages)
    result = gate.audit(browser, site_url, pages[half :: HALVES.get(code, 1)])
    assert not result.findings, "\n".join(map(str, result.findings))
    assert result.reflow_failures == []
    # served with the production Content-Security-Policy: nothing on any page was blocked
    assert result.csp_violations == []
    # the rules that matter most ran and passed somewhere
    assert {
        "color-contrast",
        "html-has-lang",
        "document-title",
        "link-name",
        "list",
    } <= result.rules_passed


def test_gate_names_page_rule_and_element_on_a_broken_page(browser):
    with gate.serve(FIXTURES) as base:
        result = gate.audit(browser, base, ["/broken.html"], widths=(1280,), reflow=False)
    found = {(f.url, f.rule, f.target) for f in result.findings}
    assert ("/broken.html", "image-alt", "#no-alt") in found
    assert ("/broken.html", "color-contrast", "#low-contrast") in found
    assert ("/broken.html", "label", "#no-label") in found
    assert "/broken.html [1280px] image-alt (critical): #no-alt" in str(
        next(f for f in result.findings if f.rule == "image-alt")
    )


@pytest.mark.parametrize("page", gate.KEYBOARD_PAGES)
def test_keyboard_skip_link_and_visible_focus(browser, site_url, page):
    assert gate.keyboard_problems(browser, site_url, page) == []
