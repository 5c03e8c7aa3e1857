"""Edit → live benchmark: `make run` on a synthetic site of n source pages (the one of
bench/build_bench.py), one notice saved --edits times, each time the seconds from the save
until the server answers its page updated in Japanese and on /m/.

    .venv/bin/python -m bench.live_edit_bench [--size 5000] [--edits 3] [--output-root DIR]

The full rebuild that catches up the lists runs in the background meanwhile; the benchmark
waits for it between edits, so each edit meets the same server, or with --during-rebuild
saves the next edit while it runs (the quick build shares the two cores with it). See
docs/benchmarks.md.
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .build_bench import CORPUS, NOW, ROOT, SITES, Corpus, SiteWriter

FIRST_BUILD_TIMEOUT = 3600
EDIT_TIMEOUT = 600


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def page(port, path, encoding="utf-8"):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=30) as answer:
            return answer.read().decode(encoding, "replace")
    except OSError:
        return ""


def wait_for(condition, timeout, poll=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--output-root", type=Path, metavar="DIR")
    parser.add_argument(
        "--during-rebuild",
        action="store_true",
        help="save the next edit as soon as the page is live, while the full rebuild runs",
    )
    args = parser.parse_args(argv)
    # a folder of its own: bench/build_bench.py may be building sites/<n>/ meanwhile
    content = SITES / f"edit-{args.size}" / "content"
    SiteWriter(Corpus(CORPUS), ROOT / "content" / "registry", args.size).write(content)
    output = (args.output_root or SITES / f"edit-{args.size}") / "output"
    output.parent.mkdir(parents=True, exist_ok=True)
    notice = sorted((content / "news").glob("*.md"))[-1]
    slug = next(
        line.split(":", 1)[1].strip()
        for line in notice.read_text("utf-8").splitlines()
        if line.startswith("Slug:")
    )
    url = f"news/{slug}/"
    port = free_port()
    env = {
        **os.environ,
        "HIROBA_CONTENT": str(content),
        "HIROBA_OUTPUT": str(output),
        "HIROBA_NOW": NOW,
    }
    command = [sys.executable, "-m", "infra.local.serve", "--no-api", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    lines = []
    threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True).start()
    results = []
    try:
        started = time.monotonic()
        if not wait_for(lambda: any(x.startswith("serving") for x in lines), FIRST_BUILD_TIMEOUT):
            raise SystemExit("the first build did not finish")
        print(f"{args.size}: first full build {time.monotonic() - started:.1f} s", flush=True)
        for edit in range(1, args.edits + 1):
            marker = f"{time.time_ns()}"
            seen = len(lines)
            load = os.getloadavg()[0]
            text = notice.read_text("utf-8")
            saved = time.monotonic()
            notice.write_text(text + f"\n確認用の追記です（{marker}）。\n", "utf-8")

            def live(marker=marker):
                # the synthetic site has no translations: its language pages are fallbacks,
                # which name the page by its title, so the body shows in Japanese and on /m/
                return marker in page(port, url) and marker in page(port, f"m/{url}", "cp932")

            if not wait_for(live, EDIT_TIMEOUT):
                raise SystemExit(f"edit {edit}: the page was not served updated")
            seconds = time.monotonic() - saved
            if args.during_rebuild and edit < args.edits:
                rebuilt = "the full rebuild still running"  # the next save meets it
                time.sleep(1)  # the rebuild's Pelican process is under way
            else:
                wait_for(
                    lambda seen=seen: any(x.startswith("built in") for x in lines[seen:]), 3600
                )
                rebuilt = f"full rebuild done after {time.monotonic() - saved:.1f} s"
            results.append(seconds)
            # the server's own line: the quick build's wall and CPU seconds (from the poll
            # that saw the save to the page in place), which worker process built it
            quick = next((x.strip() for x in lines[seen:] if x.startswith("page live in")), "")
            print(
                f"{args.size}: edit {edit}: page live in {seconds:.2f} s, {rebuilt}"
                f" (load average before {load:.2f}; server: {quick})",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"{args.size}: best {min(results):.2f} s, worst {max(results):.2f} s (target 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
