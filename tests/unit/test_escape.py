"""Residents' words written into Markdown come out of the site's Markdown as the same words."""

import html
import re

import markdown
import pytest

from hiroba_core.content.escape import markdown_lines

SAYINGS = [
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![地図](https://example.com/x.png)",
    "# 見出しではありません",
    "- 箇条書きではありません",
    "1. 番号でもありません",
    "> 引用でもありません",
    "見学会 {: onclick=alert(1) }",
    "*強調* _下線_ `コード` ~~取消~~ a|b",
    "---",
    "A & B < C > D &amp; &#60;",
    "\\\\バックスラッシュ\\\\",
    "<!-- コメント -->",
    "https://www.pref.miyagi.jp/ と info@pref.miyagi.jp",
    "2026.1.2 10-20 (注) [1] {名取市|なとりし}",
    "*[HTML]: 略語の定義ではありません",
    "[^1]: 脚注ではありません",
]


def rendered_text(source):
    md = markdown.Markdown(
        extensions=["markdown.extensions.extra", "markdown.extensions.sane_lists"],
        output_format="html5",
    )
    page = md.convert(source)
    return page, html.unescape(re.sub(r"<[^>]+>", "", page)).strip()


@pytest.mark.parametrize("saying", SAYINGS)
def test_a_saying_is_shown_as_written(saying):
    page, text = rendered_text("\n".join(f"> {line}" for line in markdown_lines(saying)))
    assert text == saying
    tags = re.findall(r"<(\w+)", page)
    assert set(tags) <= {"blockquote", "p"}, page  # no link, image, heading, list, code


def test_indentation_does_not_make_code():
    page, text = rendered_text("\n".join(f"> {line}" for line in markdown_lines("    字下げ")))
    assert "<code>" not in page and text == "字下げ"
