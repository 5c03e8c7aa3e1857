"""JMA poller benchmark: from a report appearing in JMA's feed to every page served with
the banner, end to end.

For a synthetic site of n source pages (bench/build_bench.py; default 1,000), this:

  1. builds the site in full,
  2. serves JMA's feeds on loopback (tests/jma/loopback.py, the fixtures of the tests) and
     starts the poller as `make jma` runs it (`python -m infra.jma`, one poll a minute,
     If-Modified-Since), with the development server's handler serving the site,
  3. right after one of the poller's polls — the worst moment, a full minute to wait —
     puts the tsunami warning for 宮城県 (tests/fixtures/jma/vtse41-miyagi-1.xml) in the feed,
  4. asks, every 50 ms, for one page of every kind of banner region (12 languages, /m/
     and its top page) and the notice's own pages, through the handler, until all of them
     carry the banner and answer 200: that instant is "every page served with the banner"
     (every page of a kind gets the same region file, functions/hiroba_core/emergency_region.py),
  5. then reads every page of the site through the handler once, to confirm.

Reported: seconds from the report appearing to every page served with the banner (target
≤ 60 s with a one-minute poll) and from the poller fetching the report to the same instant
(target ≤ 5 s).

    .venv/bin/python -m bench.jma_bench [--sizes 1000]

Results go to bench/sites/jma.json; see docs/benchmarks.md.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from bench.build_bench import CORPUS, SITES, Corpus, SiteWriter, machine
from bench.emergency_bench import MANDATORY
from hiroba_core import emergency_region as edge
from infra.local.stack import site_handler
from tests.jma.loopback import JmaServer

ROOT = Path(__file__).resolve().parents[1]

RESULTS = SITES / "jma.json"
NOW = "2026-11-27 14:10"  # just after the fixture's report (14:05), before it expires
SLUG = "jma-tsunami-20261127140200"
SHOWN = "宮城県に津波警報が発表されています"


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def shows_banner(status, data, path):
    if status != 200:
        return False
    found = edge.span(data)
    if found is None:
        return False
    region = data[found[0] : found[1]]
    return SHOWN in region.decode("cp932" if path.startswith("/m/") else "utf-8")


def bench(n):
    site = SITES / f"jma-{n}"
    content, output = site / "content", site / "output"
    SiteWriter(Corpus(CORPUS), ROOT / "content" / "registry", n).write(content)
    for path in content.glob("news/jma-*.md"):
        path.unlink()
    for path in content.glob("news/*.md"):  # as bench/emergency_bench.py: no translations
        text = path.read_text("utf-8")
        fixed = MANDATORY.sub("Category: 県政・行財政", text)
        if fixed != text:
            path.write_text(fixed, "utf-8")
    env = {
        **os.environ,
        "HIROBA_CONTENT": str(content),
        "HIROBA_OUTPUT": str(output),
        "HIROBA_NOW": NOW,
        "HIROBA_SEARCH_INDEX": "0",
    }
    env.pop("HIROBA_MAIL", None)  # mail is measured by the newsletter benchmark
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(ROOT / "pelicanconf.py")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    full = time.perf_counter() - started
    pages = sorted(
        "/" + p.relative_to(output).as_posix()
        for p in output.rglob("*.html")
        if edge.page_path(p.relative_to(output).as_posix())
    )
    print(f"{n}: full build {full:.1f} s, {len(pages)} HTML pages")
    server = ThreadingHTTPServer(("127.0.0.1", 0), site_handler(output, {}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    jma = JmaServer(site / "jma")
    jma.publish("eqvol", [("vtse41-hokkaido.xml", "2026-11-27T00:33:05Z")])
    state = site / "jma-state.json"
    state.unlink(missing_ok=True)
    poller = subprocess.Popen(
        [sys.executable, "-u", "-m", "infra.jma", str(ROOT / "pelicanconf.py")]
        + ["--feed", jma.url("eqvol"), "--state", str(state)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        first = poller.stdout.readline()  # the first poll is done
        assert first.startswith("jma:"), first
        jma.publish(
            "eqvol",
            [
                ("vtse41-hokkaido.xml", "2026-11-27T00:33:05Z"),
                ("vtse41-miyagi-1.xml", "2026-11-27T05:05:12Z"),
            ],
        )
        appeared = time.time()
        manifest = json.loads((output / edge.MANIFEST).read_text("utf-8"))
        probes = {}
        for path in pages:  # one page of every kind of region
            probes.setdefault(edge.region_name(path, manifest), path)
        probes = sorted(probes.values())
        probes += [f"/{p}news/{SLUG}/" for p in ["", "m/", "en/", "easy/", "ne/"]]
        while True:
            if all(shows_banner(*get(port, p), p) for p in probes):
                served_at = time.time()
                break
            if time.time() - appeared > 180:
                raise SystemExit("no banner within 180 s")
            time.sleep(0.05)
        fetched = jma.asked_at["/data/vtse41-miyagi-1.xml"]
        missing = [p for p in pages if not shows_banner(*get(port, p), p)]
        if missing:
            raise SystemExit(f"{len(missing)} pages lack the banner, e.g. {missing[0]}")
        lines = []
        while not any(line.startswith("emergency:") for line in lines):
            lines.append(poller.stdout.readline())
    finally:
        poller.terminate()
        poller.wait()
        jma.stop()
        server.shutdown()
        server.server_close()
    fast = next(line for line in lines if line.startswith("emergency:")).strip()
    row = {
        "source_pages": n,
        "html_pages": len(pages),
        "full_build_seconds": round(full, 1),
        "appeared_to_served_seconds": round(served_at - appeared, 2),
        "fetched_to_served_seconds": round(served_at - fetched, 2),
        "wait_for_poll_seconds": round(fetched - appeared, 2),
        "fast_path": fast,
    }
    print(f"{n}: {json.dumps(row, ensure_ascii=False)}")
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    args = parser.parse_args()
    rows = [bench(n) for n in args.sizes]
    SITES.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"machine": machine(), "now": NOW, "rows": rows}, ensure_ascii=False, indent=1),
        "utf-8",
    )
    print(
        "| source pages | HTML pages | report appeared → every page served | "
        "waiting for the poll | report fetched → every page served |"
    )
    print("| ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['source_pages']:,} | {row['html_pages']:,} | "
            f"{row['appeared_to_served_seconds']} s | {row['wait_for_poll_seconds']} s | "
            f"{row['fetched_to_served_seconds']} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
