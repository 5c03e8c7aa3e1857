"""Accessibility is a build gate: axe-core finds nothing on any page, at any width."""

from pathlib import Path

import pytest

from infra.a11y import gate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "a11y"


@pytest.mark.parametrize("width", gate.WIDTHS)
def test_no_page_has_an_axe_violation(browser, site, site_url, width):
    pages = gate.html_pages(site)
    assert len(pages) >= 80  # every generated page, not a sample
    result = gate.audit(browser, site_url, pages, widths=(width,), reflow=False)
    assert not result.findings, "\n".join(map(str, result.findings))
    # the rules that matter most ran and passed somewhere
    assert {
        "color-contrast",
        "html-has-lang",
        "document-title",
        "link-name",
        "list",
    } <= result.rules_passed


def test_every_page_reflows_at_320_px(browser, site, site_url):
    result = gate.audit(browser, site_url, gate.html_pages(site), widths=(), reflow=True)
    assert result.reflow_failures == []


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
