"""Paginated indexes never collide: tag t1's page 7 and tag t17 are different files."""

from tests.conftest import make_content, notice, run_build


def test_tag_pages_do_not_overwrite_each_other(tmp_path):
    files = {}
    for n in range(70):
        files[f"news/t1-{n:02d}.md"] = notice(
            f"t1-{n:02d}",
            f"タグ1の記事{n}",
            date=f"2026-10-{n % 28 + 1:02d} 09:{n % 60:02d}",
            tags="t1",
        )
    for n in range(3):
        files[f"news/t17-{n}.md"] = notice(f"t17-{n}", f"タグ17の記事{n}", tags="t17")
    content = make_content(tmp_path, files, tags=("t1", "t17"))
    output = tmp_path / "output"
    result = run_build(content, output)
    assert result.returncode == 0, result.stderr

    seventh = (output / "tag" / "t1" / "page" / "7" / "index.html").read_text("utf-8")
    assert "タグ1の記事" in seventh and "タグ17の記事" not in seventh
    assert not (output / "tag" / "t1" / "page" / "8").exists()
    t17 = (output / "tag" / "t17" / "index.html").read_text("utf-8")
    assert t17.count('href="/news/t17-') == 3 and 'href="/news/t1-' not in t17
    # every t1 article appears on exactly one of its seven pages
    pages = [output / "tag" / "t1" / "index.html"] + [
        output / "tag" / "t1" / "page" / str(n) / "index.html" for n in range(2, 8)
    ]
    listed = "".join(p.read_text("utf-8") for p in pages)
    for n in range(70):
        assert listed.count(f'href="/news/t1-{n:02d}/"') == 1
    # the numbered links of page 1 point at the folders that exist
    first = pages[0].read_text("utf-8")
    assert 'href="/tag/t1/page/7/"' in first
