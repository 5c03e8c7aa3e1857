"""`make run`: a saved notice is served updated (every language, /m/) before the full
rebuild that catches up the lists has finished, built by the one warm worker that forks a
child per save; the full rebuild then takes over; a broken save serves nothing new and the
build prints path:line: message."""

import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from infra.local.quick_build import LANGUAGE_FOLDERS, QuickBuilder
from tests.conftest import ROOT

NOTICE = "content/news/2026-04-01-denshi-shinsei-tetsuzuki-tsuika"
URL = "news/denshi-shinsei-tetsuzuki-tsuika-2026/"
TIMEOUT = 900  # the first full build on a loaded 2-core machine


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(port, path, encoding="utf-8"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=30) as response:
        return response.read().decode(encoding)


def wait_for(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def quick_builds(lines):
    """(worker pid, build pid) of each `page live in` line the server printed."""
    found = (re.match(r"page live in .* \(worker (\d+), build (\d+)\)", x) for x in lines)
    return [match.groups() for match in found if match]


def test_an_edited_notice_is_live_before_the_full_rebuild(tmp_path):
    repo = tmp_path / "repo"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            (repo / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name.decode())
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.local.serve", "--no-api", "--port", str(port)],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines, errors = [], []
    threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True).start()
    threading.Thread(target=lambda: errors.extend(server.stderr), daemon=True).start()
    try:
        wait_for(lambda: any(line.startswith("serving") for line in lines), "the first build")
        marker = f"{time.time_ns()}"
        ja, en = repo / f"{NOTICE}.md", repo / f"{NOTICE}.en.md"
        edited_at = len(lines)
        ja.write_text(ja.read_text("utf-8") + f"\n確認用の追記です（{marker}）。\n", "utf-8")
        en.write_text(en.read_text("utf-8") + f"\nAdded for the check ({marker}).\n", "utf-8")

        def updated():
            return (
                marker in fetch(port, URL)
                and marker in fetch(port, f"en/{URL}")
                and marker in fetch(port, f"m/{URL}", "cp932")
            )

        wait_for(updated, "the edited page")
        # served updated while output/ is still the build from before the edit: the full
        # rebuild starts only once the page is live, and replaces output/ when it is done
        assert marker not in (repo / "output" / URL / "index.html").read_text("utf-8")
        wait_for(lambda: any(x.startswith("page live in") for x in lines[edited_at:]), "its line")
        assert quick_builds(lines), lines  # built by the warm worker, which names itself

        # a second save is built by the same warm worker (imports, templates loaded once), in
        # a child of its own, whether or not the first save's full rebuild is still running
        before = len(quick_builds(lines))
        again = f"{time.time_ns()}"
        ja.write_text(ja.read_text("utf-8") + f"\n二度目の追記です（{again}）。\n", "utf-8")
        wait_for(
            lambda: again in fetch(port, URL) and again in fetch(port, f"m/{URL}", "cp932"),
            "the second edit",
        )
        wait_for(lambda: len(quick_builds(lines)) > before, "the second edit's line")
        (first_worker, first_build), *_, (worker, build) = quick_builds(lines)
        assert worker == first_worker and build != first_build
        assert worker not in (server.pid, first_build, build)
        # the worker is alive, started by the server, and is the quick build module
        assert f"{server.pid}" == (Path("/proc") / worker / "stat").read_text().split()[3]
        assert b"infra.local.quick_build" in (Path("/proc") / worker / "cmdline").read_bytes()

        wait_for(lambda: any(line.startswith("built in") for line in lines[edited_at:]), "rebuild")
        assert marker in (repo / "output" / URL / "index.html").read_text("utf-8")
        assert updated()
        wait_for(lambda: not (repo / ".hiroba" / "pages" / URL / "index.html").exists(), "prune")
        assert again in (repo / "output" / URL / "index.html").read_text("utf-8")

        # a broken save: the error with its path and line, and nothing new served
        broken = f"{time.time_ns()}"
        text = ja.read_text("utf-8").replace("\n", "\nBogus: 1\n", 1)
        ja.write_text(text + f"\n壊れた保存です（{broken}）。\n", "utf-8")
        wait_for(lambda: any("build failed" in line for line in errors), "the failed build")
        assert any(f"{NOTICE}.md:2:" in line and "bogus" in line.lower() for line in errors), errors
        assert broken not in fetch(port, URL) and again in fetch(port, URL)
        assert broken not in fetch(port, f"m/{URL}", "cp932")
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_the_worker_builds_each_save_in_a_child_and_starts_afresh(tmp_path):
    """The worker on the repository's content: a notice's pages in every language folder
    and on /m/; each build a child of its own; a restart (serve.py's, after a change to the
    plugins or the settings) is a new worker that builds the same pages."""
    overlay = tmp_path / "pages"
    quick = QuickBuilder(ROOT / "content", overlay, tmp_path / "work").start()
    try:
        sources = sorted((ROOT / "content").glob(f"{NOTICE.removeprefix('content/')}*.md"))
        first, second = quick.build(sources), quick.build(sources)
        quick.restart()
        third = quick.build(sources)
    finally:
        quick.stop()
    for answer in (first, second, third):
        assert answer["ok"] and answer["folders"] == [URL.rstrip("/")], answer
    assert first["worker"] == second["worker"] != third["worker"]
    assert len({first["build"], second["build"], third["build"], first["worker"]}) == 4
    pages = {p.relative_to(overlay).as_posix() for p in overlay.glob("**/index.html")}
    assert pages == {
        f"{prefix}{URL}index.html"
        for prefix in ["", "m/"] + [f"{code}/" for code in LANGUAGE_FOLDERS]
    }
    english = (overlay / "en" / URL / "index.html").read_text("utf-8")
    assert english.startswith('<!DOCTYPE html>\n<html lang="en"') and "</html>" in english
