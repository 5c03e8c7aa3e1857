"""How the checks read a content file: encodings named, BOM and line endings ignored, and line
numbers as the editor's editor shows them."""

import pytest

from plugins.content_checks import encoding
from plugins.content_checks.content_checks import read_source

TEXT = "Title: 見学会\nDate: 2026-12-10\n\n①本文です。\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode(),
        b"\xef\xbb\xbf" + TEXT.encode(),
        TEXT.replace("\n", "\r\n").encode(),
        b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode(),
        TEXT.replace("\n", "\r").encode(),
    ],
    ids=["utf-8", "bom", "crlf", "bom-crlf", "cr"],
)
def test_utf8_as_editors_save_it_reads_as_plain_text(data):
    assert encoding.decode(data) == TEXT


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (TEXT.encode("cp932"), "Shift_JIS のようです"),
        (TEXT.replace("①", "").encode("euc_jp"), "EUC-JP のようです"),
        (TEXT.encode("utf-16"), "UTF-16 のようです"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG 画像のようです"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Office 文書か ZIP のようです"),
        (b"%PDF-1.7\n\xe2\xe3\xcf\xd3", "PDF のようです"),
        (b"\x00\x01\x02\x03\xff", "テキストファイルではありません"),
    ],
)
def test_anything_else_is_named_never_raised_as_a_decode_error(data, named):
    with pytest.raises(encoding.NotUtf8) as raised:
        encoding.decode(data)
    assert named in raised.value.message


def test_front_matter_after_a_bom_and_line_numbers_as_an_editor_counts_them(tmp_path):
    (tmp_path / "news").mkdir()
    path = tmp_path / "news" / "x.md"
    # U+2028 pasted from a PDF is no line break for an editor, so no line break here either
    text = "Title: 見学会\r\nCategory: 県政・行財政\r\n\r\n一行目\u2028続き\r\n①です\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    source = read_source(path, tmp_path, ["news"])
    assert source.front.values == {"title": "見学会", "category": "県政・行財政"}
    assert source.front.lines == {"title": 1, "category": 2}
    assert (5, "①です") in source.lines
