"""`make build` on a terminal says what it is doing and how far; in CI or a pipe, nothing."""

import os
import pty
import re
import subprocess
import sys

from plugins.progress.progress import fit
from tests.conftest import NOW, ROOT, make_content, notice

STAGES = (
    "ひろば: サイトを作ります",
    "読み込み: お知らせ・動画 1 件（翻訳 1 件）",
    "読み込み: ページ 0 件",
    "検査: コンテンツの検査",
    "書き出し: お知らせ・動画",
    "書き出し: /m/（ポケットみやぎ）",
    "書き出し: 翻訳のない言語のページ",
    "仕上げ: 完了",
)


def build_on_a_terminal(content, output, ci=None):
    """Run the build with its standard error on a pseudo-terminal; what it printed there."""
    env = {**os.environ, "HIROBA_CONTENT": str(content), "HIROBA_OUTPUT": str(output)}
    env.update(HIROBA_NOW=NOW, HIROBA_SEARCH_INDEX="0")
    env.pop("CI", None)
    if ci:
        env["CI"] = ci
    master, terminal = pty.openpty()
    command = [sys.executable, "-m", "pelican", "-s", str(ROOT / "pelicanconf.py")]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    printed = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the build has ended and closed the terminal
            break
        if not chunk:
            break
        printed += chunk
    os.close(master)
    assert process.wait() == 0, printed.decode("utf-8", "replace")
    return printed.decode("utf-8")


def small_site(tmp_path):
    return make_content(
        tmp_path,
        {
            "news/visit.md": notice("visit", "県庁舎の見学会"),
            "news/visit.en.md": notice(
                "visit", "Prefectural Office tour", extra="Lang: en\nTranslation_key: visit"
            ),
        },
    )


def test_a_terminal_sees_each_stage_and_the_pages_per_language(tmp_path):
    printed = build_on_a_terminal(small_site(tmp_path), tmp_path / "output")
    for stage in STAGES:
        assert stage in printed, printed
    positions = [printed.index(stage) for stage in STAGES]
    assert positions == sorted(positions)  # in the order the build does them
    # the notice, its lists and feeds in Japanese; the translation in English
    assert re.search(r"書き出し: お知らせ・動画 — ja \d+ · en 1（\d+\.\d 秒）", printed)
    assert "\r\x1b[K書き出し: お知らせ・動画" in printed  # the line is rewritten in place


def test_ci_and_pipes_get_no_progress(tmp_path):
    content = small_site(tmp_path)
    printed = build_on_a_terminal(content, tmp_path / "ci", ci="true")
    assert "ひろば:" not in printed and "書き出し" not in printed
    piped = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(ROOT / "pelicanconf.py")],
        cwd=ROOT,
        env={
            **os.environ,
            "HIROBA_CONTENT": str(content),
            "HIROBA_OUTPUT": str(tmp_path / "piped"),
            "HIROBA_NOW": NOW,
            "HIROBA_SEARCH_INDEX": "0",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ひろば:" not in piped.stderr + piped.stdout and "\x1b[K" not in piped.stderr


def test_a_line_never_wraps_on_a_narrow_terminal():
    assert fit("書き出し: お知らせ", 10) == "書き出し: "
    assert fit("abc", 10) == "abc"
