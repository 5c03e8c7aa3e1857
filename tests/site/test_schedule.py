"""Scheduled content is absent until its time; expired content is absent afterwards."""

import pytest

from tests.conftest import make_content, notice, run_build

FILES = {
    "news/always.md": notice("always", "常に公開のお知らせ"),
    "news/scheduled.md": notice(
        "scheduled", "年末年始の停止予告", extra="Publish_at: 2026-12-01 09:00"
    ),
    "news/expiring.md": notice("expiring", "期間限定の募集", extra="Expires_at: 2026-11-30 17:00"),
}


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    return make_content(tmp_path_factory.mktemp("schedule"), FILES)


def everything(output):
    """Every text output; ポケットみやぎ (/m/) is Shift_JIS."""
    texts = []
    for path in sorted(output.rglob("*")):
        if path.suffix not in (".html", ".xml", ".json", ".txt"):
            continue
        mobile = path.relative_to(output).parts[0] == "m"
        texts.append(path.read_bytes().decode("cp932" if mobile else "utf-8"))
    return "\n".join(texts)


@pytest.mark.parametrize(
    ("now", "present", "absent"),
    [
        ("2026-11-27 12:00", {"always", "expiring"}, {"scheduled"}),
        ("2026-11-30 17:00", {"always"}, {"scheduled", "expiring"}),
        ("2026-12-01 09:00", {"always", "scheduled"}, {"expiring"}),
    ],
)
def test_publication_window(content, tmp_path, now, present, absent):
    output = tmp_path / "output"
    result = run_build(content, output, now=now)
    assert result.returncode == 0, result.stderr
    text = everything(output)
    titles = {slug: FILES[f"news/{slug}.md"].splitlines()[0][7:] for slug in present | absent}
    for slug in present:
        assert (output / "news" / slug / "index.html").is_file()
        assert titles[slug] in (output / "feeds" / "all.atom.xml").read_text("utf-8")
    for slug in absent:
        assert not (output / "news" / slug).exists()
        # not in lists, feeds, the sitemap, the JSON feed or tag pages either
        assert titles[slug] not in text
        assert f"/news/{slug}/" not in text


def test_link_to_unpublished_content_is_an_error(tmp_path):
    files = dict(FILES)
    files["news/linker.md"] = notice(
        "linker", "予告へのリンク", body="[停止の予告]({filename}/news/scheduled.md)"
    )
    content = make_content(tmp_path, files)
    result = run_build(content, tmp_path / "output")
    assert result.returncode == 1
    assert "news/linker.md:8: " in result.stderr
    assert "公開されていないページです" in result.stderr
