"""The build writes on both cores (plugins/parallel_write) and fails as it would on one."""

import os

import pytest

from tests.conftest import make_content, notice, run_build

BROKEN = "本文です。\n\n吉の異体字「\U00020bb7」を含みます。"


@pytest.mark.parametrize("broken_first", [True, False])
def test_a_page_broken_in_either_process_stops_the_build_with_path_and_line(tmp_path, broken_first):
    # /m/ shares its pages out one by one: of two neighbours, one is the second process's
    dates = ("2026-11-02 09:00", "2026-11-01 09:00")
    broken, fine = dates if broken_first else reversed(dates)
    content = make_content(
        tmp_path,
        {
            "news/kanji.md": notice("kanji", "異体字", date=broken, body=BROKEN),
            "news/plain.md": notice("plain", "普通の字", date=fine),
        },
    )
    result = run_build(content, tmp_path / "output")
    assert result.returncode == 1
    assert "news/kanji.md:10: 携帯版（Shift_JIS）で表示できない文字" in result.stderr
    assert "Traceback" not in result.stderr


def test_one_process_writes_the_same_files(tmp_path, monkeypatch):
    content = make_content(
        tmp_path,
        {
            f"news/n{i}.md": notice(f"n{i}", f"お知らせ{i}", date=f"2026-11-{i:02d} 09:00")
            for i in range(1, 25)
        },
    )
    two = run_build(content, tmp_path / "two")
    monkeypatch.setenv("HIROBA_PARALLEL", "0")
    one = run_build(content, tmp_path / "one")
    assert two.returncode == one.returncode == 0, two.stderr + one.stderr

    def files(folder):
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    first, second = files(tmp_path / "two"), files(tmp_path / "one")
    assert first.keys() == second.keys()
    assert [path for path in first if first[path] != second[path]] == []
    assert len([p for p in first if p.endswith(".html")]) > 300
    assert os.environ["HIROBA_PARALLEL"] == "0"
