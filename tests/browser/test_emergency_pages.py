"""The pages an untranslated emergency gets in every language pass the accessibility gate."""

import shutil

import pytest

from infra.a11y import gate
from tests.conftest import make_content, run_build
from tests.site.test_emergency import DURING, EASY, EMERGENCY, FILES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A site built before the notice, then the fast path for the Japanese notice and its
    やさしい日本語 version only."""
    base = tmp_path_factory.mktemp("untranslated")
    content = make_content(base, FILES)
    output = base / "output"
    assert run_build(content, output, now=DURING).returncode == 0
    (content / "news" / "tsunami.md").write_text(EMERGENCY, "utf-8")
    (content / "news" / "tsunami.easy.md").write_text(EASY, "utf-8")
    command = ("-m", "infra.tools.emergency", f"--file={content / 'news' / 'tsunami.md'}")
    result = run_build(content, output, now=DURING, command=command)
    assert result.returncode == 0, result.stderr
    yield output
    shutil.rmtree(base, ignore_errors=True)


def test_untranslated_emergency_pages_have_no_axe_violation(browser, published):
    pages = [f"/{prefix}news/tsunami-keiho/" for prefix in ("", "en/", "ne/", "zh-hant/", "easy/")]
    pages += ["/en/emergency/", "/ko/emergency/"]
    with gate.serve(published) as base:
        result = gate.audit(browser, base, pages)
    assert result.pages == pages
    assert not result.findings, "\n".join(map(str, result.findings))
    assert result.reflow_failures == []
    assert {"html-has-lang", "valid-lang", "link-name", "color-contrast"} <= result.rules_passed
