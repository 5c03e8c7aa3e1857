"""`make fix`: each automatic fix on its own fixture, and what it must leave alone."""

import pytest

from plugins.content_checks import content_checks
from plugins.content_checks.fix import fix_file, fix_text, main

FRONT = "Title: {title}\nSlug: x\nSummary: 要約です。\nDepartment: koho\nDate: 2026-11-01\n\n"


def body(text, title="お知らせ"):
    return FRONT.format(title=title) + text + "\n"


# body before -> (body after, [(before, after)] printed)
FIXTURES = {
    "machine-dependent": (
        "①申請書、㈱宮城、第Ⅳ期、5㌔、3㎡",
        "(1)申請書、（株）宮城、第4期、5キロ、3平方メートル",
        [("①", "(1)"), ("㈱", "（株）"), ("Ⅳ", "4"), ("㌔", "キロ"), ("㎡", "平方メートル")],
    ),
    "half-width-katakana": (
        "ｼﾝｾｲｼｮを出します｡",
        "シンセイショを出します。",
        [("ｼﾝｾｲｼｮ", "シンセイショ"), ("｡", "。")],
    ),
    "full-width-alphanumeric": (
        "ＬＧＷＡＮは２４時間",
        "LGWANは24時間",
        [("ＬＧＷＡＮ", "LGWAN"), ("２４", "24")],
    ),
    "space-in-word": (
        "県からの お 知 ら せ です。",
        "県からの お知らせ です。",
        [("お 知 ら せ", "お知らせ")],
    ),
    "date-format": (
        "受付は2026/1/2から2026.12.28まで",
        "受付は2026年1月2日から2026年12月28日まで",
        [("2026/1/2", "2026年1月2日"), ("2026.12.28", "2026年12月28日")],
    ),
}


@pytest.mark.parametrize("rule", FIXTURES)
def test_each_fix(rule):
    before, after, printed = FIXTURES[rule]
    fixed, changes = fix_text(body(before))
    assert fixed == body(after)
    assert [(b, a) for _, b, a in changes] == printed
    assert {line for line, _, _ in changes} == {7}
    # the fixed line no longer breaks the rule the fix is for
    assert not [r for _, r in content_checks.character_rules(after) if r == rule]


def test_title_and_summary_are_fixed_but_keys_and_code_are_not():
    text = (
        "Title: ①の説明\nSlug: x\nSummary: ｶﾅの要約\nDepartment: koho\nDate: 2026-11-01\n\n"
        '`①` と [①の資料](/documents/2026/1/2/①.pdf) と <abbr title="①">①</abbr>\n'
        "```\n①コード\n```\n"
        "[ref]: https://example.jp/2026/1/2/\n"
    )
    fixed, changes = fix_text(text)
    assert fixed.splitlines()[0] == "Title: (1)の説明"
    assert fixed.splitlines()[2] == "Summary: カナの要約"
    assert fixed.splitlines()[6] == (
        '`①` と [(1)の資料](/documents/2026/1/2/①.pdf) と <abbr title="①">(1)</abbr>'
    )
    assert "①コード" in fixed and "[ref]: https://example.jp/2026/1/2/" in fixed
    assert [line for line, _, _ in changes] == [1, 3, 7, 7]


def test_what_would_change_the_meaning_is_left_to_the_check():
    text = body("26/1/2 と 2026/2/30 と 〝引用〟")
    fixed, changes = fix_text(text)
    assert fixed == text and changes == []


def test_encodings_are_converted_and_line_endings_kept(tmp_path):
    text = body("①申請書を出します。").replace("\n", "\r\n")
    sjis = tmp_path / "sjis.md"
    sjis.write_bytes(text.encode("cp932"))
    changes = fix_file(sjis)
    assert changes[0] == (1, "Shift_JIS", "UTF-8") and changes[1] == (7, "①", "(1)")
    assert sjis.read_bytes() == text.replace("①", "(1)").encode("utf-8")
    bom = tmp_path / "bom.md"
    bom.write_bytes(b"\xef\xbb\xbf" + body("本文です。").encode())
    assert fix_file(bom) == [(1, "UTF-8（BOM付き）", "UTF-8")]
    assert bom.read_bytes() == body("本文です。").encode()
    utf16 = tmp_path / "utf16.md"
    utf16.write_bytes(body("本文です。").encode("utf-16"))
    assert fix_file(utf16) == [(1, "UTF-16", "UTF-8")]
    assert utf16.read_text("utf-8") == body("本文です。")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert fix_file(binary) == [] and binary.read_bytes() == b"\x89PNG\r\n\x1a\n\x00\x00"


def test_captions_get_only_their_encoding_fixed(tmp_path):
    captions = "WEBVTT\n\n00:00.000 --> 00:02.000\n①知事の会見です\n"
    vtt = tmp_path / "kaiken.vtt"
    vtt.write_bytes(captions.encode("cp932"))
    assert fix_file(vtt) == [(1, "Shift_JIS", "UTF-8")]
    assert vtt.read_text("utf-8") == captions


def test_a_mistyped_file_name_is_said_and_fails(tmp_path, capsys):
    good = tmp_path / "good.md"
    good.write_text(body("①申込み"), "utf-8")
    missing = tmp_path / "news" / "tipo.md"
    assert main(["fix", str(missing), str(good)]) == 1
    printed = capsys.readouterr()
    assert f"{missing}: ファイルもフォルダもありません" in printed.err
    assert "① → (1)" in printed.out  # the files that exist are still fixed
    assert main(["fix", str(good)]) == 0
