"""The fast path swaps a page's banner region in place, or rewrites the page when it grows."""

from hiroba_core.emergency_region import span
from infra.tools.emergency import rewrite
from plugins.emergency.emergency import REGION_BYTES, padded

EMPTY = padded("<!--hiroba:emergency--><!--/hiroba:emergency-->", REGION_BYTES["main"])


def page(tmp_path, region=EMPTY):
    path = tmp_path / "index.html"
    path.write_bytes(f"<html><body><a>skip</a>{region}<main>本文</main></body></html>".encode())
    return path


def test_empty_region_is_padded_to_the_reserved_size():
    assert len(EMPTY.encode()) == REGION_BYTES["main"]
    assert EMPTY.startswith("<!--hiroba:emergency-->") and EMPTY.endswith("-->")


def test_same_size_region_is_written_in_place(tmp_path):
    path = page(tmp_path)
    size = path.stat().st_size
    banner = padded(
        "<!--hiroba:emergency--><p>津波警報</p><!--/hiroba:emergency-->", REGION_BYTES["main"]
    )
    assert rewrite(path, banner.encode())
    assert path.stat().st_size == size
    assert "津波警報" in path.read_text("utf-8") and path.read_text("utf-8").endswith("</html>")
    assert not rewrite(path, banner.encode())  # nothing to do the second time


def test_larger_region_rewrites_the_page_and_keeps_the_rest(tmp_path):
    path = page(tmp_path)
    big = "<!--hiroba:emergency-->" + "<p>緊急</p>" * 400 + "<!--/hiroba:emergency-->"
    assert rewrite(path, big.encode())
    text = path.read_text("utf-8")
    assert text.count("<p>緊急</p>") == 400 and text.endswith("<main>本文</main></body></html>")
    start, end = span(path.read_bytes())
    assert path.read_bytes()[start:end] == big.encode()
