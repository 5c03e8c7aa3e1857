"""The raw HTML policy line by line: what editors need passes, what runs script does not."""

import pytest

from plugins.content_checks import html_policy

ALLOWED = [
    '<span lang="en">Miyagi</span>',
    "<ruby>亘理<rt>わたり</rt></ruby>",
    '<abbr title="地方公共団体情報システム機構">J-LIS</abbr>',
    "<kbd>Enter</kbd>",
    '<table><caption>表</caption><tr><th scope="col" colspan="2">項目</th></tr></table>',
    '<video controls poster="/media/files/a.jpg"><track kind="captions" src="a.vtt" srclang="ja"></video>',
    "<https://www.pref.miyagi.jp/>",
    "<info@pref.miyagi.jp>",
    "`<script>alert(1)</script>` はコードとして示せます",
    "[申請の手引き](https://www.pref.miyagi.jp/tebiki.pdf)",
    "{名取市|なとりし}",
    "## 見出し {: #gaiyo }",
    "x < y でも only=1 でも構いません",
]
REFUSED = [
    ("<script>alert(1)</script>", "raw-html"),
    ('<iframe src="https://example.com/"></iframe>', "raw-html"),
    ("<svg/onload=alert(1)>", "raw-html"),
    ('<div style="display:none">', "raw-html"),
    ("<IMG SRC=x OnError=alert(1)>", "raw-html"),
    ("![地図](x.png){: onerror=alert(1)}", "raw-html"),
    ("[x](javascript:alert(1))", "unsafe-url"),
    ("[x](jav&#x09;ascript:alert(1))", "unsafe-url"),
    ("[x](&#106;avascript:alert(1))", "unsafe-url"),
    ("[x]( JAVASCRIPT:alert(1) )", "unsafe-url"),
    ("[r]: vbscript:msgbox(1)", "unsafe-url"),
    ('<a href="java\u200bscript:alert(1)">x</a>', "unsafe-url"),
    ('<img src="x.png" srcset="a.png 1x, javascript:alert(1) 2x" alt="図">', "unsafe-url"),
    ("![図](data:image/png;base64,AAAA)", "unsafe-url"),
    ("<javascript:alert(1)>", "unsafe-url"),
]


@pytest.mark.parametrize("line", ALLOWED)
def test_what_editors_need_passes(line):
    assert list(html_policy.problems([(3, line)])) == []


@pytest.mark.parametrize(("line", "rule"), REFUSED)
def test_what_runs_script_is_refused_at_its_line(line, rule):
    found = html_policy.problems([(1, "前の行です。"), (7, line)])
    assert found and {(number, r) for number, _, r in found} == {(7, rule)}


def test_a_tag_over_several_lines_is_reported_where_it_starts():
    found = html_policy.problems([(10, "<div"), (11, 'class="x"'), (12, "onclick=alert(1)>")])
    assert [(number, rule) for number, _, rule in found] == [(10, "raw-html")]


def test_an_svg_may_embed_a_picture_but_not_script():
    svg = '<svg>\n<image href="data:image/png;base64,AAAA"/>\n<rect\nonclick="x"/>\n</svg>'
    assert [number for number, _, _ in html_policy.svg_problems(svg)] == [4]


@pytest.mark.parametrize(
    "lines",
    [
        [(20, "[申請の窓口]("), (21, "javascript:alert(1))")],
        [(20, "[申請の窓口](javascript"), (21, ":alert(1))")],  # a browser drops the newline
        [(20, "[申請の窓口][a]"), (21, ""), (22, "[a]:"), (23, "  javascript:alert(1)")],
    ],
)
def test_a_script_url_broken_over_lines_is_refused_where_the_link_starts(lines):
    """Python-Markdown joins these into one href="javascript:…" (checked with it)."""
    found = html_policy.problems([(19, "前の行です。"), *lines])
    assert {(number, rule) for number, _, rule in found} == {(lines[-2][0], "unsafe-url")}


def test_a_safe_link_broken_over_lines_passes():
    lines = [
        (5, "[県の案内]("),
        (6, "https://www.pref.miyagi.jp/)"),
        (7, ""),
        (8, "[a]:"),
        (9, "/x/"),
    ]
    assert list(html_policy.problems(lines)) == []


@pytest.mark.parametrize(
    ("svg", "line"),
    [
        ('<svg\n  onload\n="alert(1)">\n</svg>', 2),  # an attribute continued on the next line
        ('<svg>\n<a href="&#106;avascript:alert(1)"><rect/></a>\n</svg>', 2),
        ('<svg>\n<a xlink:href="javascript:alert(1)"><rect/></a>\n</svg>', 2),
        # SMIL sets the link's href to a script URL when the animation runs
        ('<svg><a>\n<set attributeName="href" to="javascript:alert(1)"/>\n</a></svg>', 2),
        ('<svg>\n<animate attributeName="href" values="/a;javascript:alert(1)"/></svg>', 2),
        ('<svg>\n<image href="data:image/svg+xml;base64,PHN2Zz4="/></svg>', 2),
    ],
)
def test_script_hidden_in_an_svg_is_found_at_its_line(svg, line):
    assert [number for number, _, _ in html_policy.svg_problems(svg)] == [line]


def test_a_drawing_with_links_and_a_photo_passes():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        '<a href="https://www.pref.miyagi.jp/"><text font-family="Noto Sans">県庁</text></a>\n'
        '<image xlink:href="data:image/jpeg;base64,AAAA" opacity="0.5"/>\n'
        '<animate attributeName="opacity" values="0;1" dur="1s"/>\n</svg>'
    )
    assert list(html_policy.svg_problems(svg)) == []
