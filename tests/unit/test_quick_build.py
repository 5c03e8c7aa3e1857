"""`make run`'s quick build stages a saved notice with what it links to: other notices as
their front matter alone (so their links are not followed further), files as they are."""

from infra.local.quick_build import stage

FRONT = "Title: {title}\nDate: 2026-11-01 09:00\nCategory: 防災・危機管理\nSlug: {slug}\n"


def notice(path, title, slug, body):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT.format(title=title, slug=slug) + "\n" + body, "utf-8")
    return path


def test_a_saved_notice_is_staged_with_what_it_links_to(tmp_path):
    content = tmp_path / "content"
    (content / "registry").mkdir(parents=True)
    (content / "images").mkdir()
    (content / "images" / "map.png").write_bytes(b"png")
    saved = notice(
        content / "news" / "a.md",
        "避難所を開設しました",
        "a",
        "[前のお知らせ]({filename}b.md)と![地図]({static}/images/map.png)\n",
    )
    notice(content / "news" / "b.md", "前のお知らせ", "b", "[さらに前]({filename}c.md)\n")
    notice(content / "news" / "b.en.md", "Earlier notice", "b", "[Older]({filename}c.md)\n")
    notice(content / "news" / "c.md", "さらに前のお知らせ", "c", "本文\n")
    notice(content / "news" / "d.md", "関係のないお知らせ", "d", "本文\n")
    work = tmp_path / "work"

    stage([saved], content, work)

    staged = work / "content"
    assert (staged / "news" / "a.md").resolve() == saved
    assert (staged / "registry").resolve() == content / "registry"
    assert (staged / "images" / "map.png").read_bytes() == b"png"
    # the linked notice and its translation: front matter only, so c.md is not needed
    assert (staged / "news" / "b.md").read_text("utf-8") == FRONT.format(
        title="前のお知らせ", slug="b"
    ) + "\n"
    assert "Earlier notice" in (staged / "news" / "b.en.md").read_text("utf-8")
    assert "c.md" not in (staged / "news" / "b.en.md").read_text("utf-8")
    assert sorted(p.name for p in (staged / "news").iterdir()) == ["a.md", "b.en.md", "b.md"]
