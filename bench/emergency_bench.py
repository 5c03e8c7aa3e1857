"""Emergency fast path benchmark: publish an emergency notice on a built site of n pages.

For each size n (default 1,000 and 5,000 source pages; with 12 languages the built site
has about 12 x n HTML pages, since every page exists in every language) this:

  1. writes the synthetic site of bench/build_bench.py and builds it in full (timed),
  2. commits an emergency notice (防災, with its translations) to the content,
  3. times `python -m infra.tools.emergency` — the fast path: banner regions for the edge,
     emergency page in every language, feeds and CAP alert — as a whole process, start to
     exit, with the site in the page cache and again after dropping the caches (root only),
     and with `--file` naming the notice (it, its translations and the watched emergencies
     are read instead of every content file),
  4. checks that every page, as the edge serves it (functions/hiroba_core/emergency_region.py), carries the
     banner, and measures what that splice costs per page,
  5. times `--in-place` (every written page rewritten, for hosting without the edge).

    .venv/bin/python -m bench.emergency_bench [--sizes 1000 5000]

Results go to bench/sites/emergency.json; see docs/benchmarks.md.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.build_bench import CORPUS, NOW, SITES, Corpus, SiteWriter, machine, ours_command
from hiroba_core.emergency_region import Regions, page_path
from tests.site.test_emergency import EMERGENCY, TRANSLATIONS, translation

ROOT = Path(__file__).resolve().parents[1]

RESULTS = SITES / "emergency.json"
MANDATORY = re.compile(
    r"^Category: (防災・危機管理|くらし・環境|健康・福祉|手続き・電子申請)$", re.M
)


def run(command, env):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(command)}")
    return time.perf_counter() - start, result.stdout


def bench(n):
    site = SITES / f"emergency-{n}"
    content = site / "content"
    output = site / "output"
    SiteWriter(Corpus(CORPUS), ROOT / "content" / "registry", n).write(content)
    for path in content.glob("news/bench-emergency*.md"):
        path.unlink()
    # synthetic notices have no translations: keep them out of the categories that must
    # exist in every language (the emergency notice below has its translations)
    for path in content.glob("news/*.md"):
        text = path.read_text("utf-8")
        fixed = MANDATORY.sub("Category: 県政・行財政", text)
        if fixed != text:
            path.write_text(fixed, "utf-8")
    command, env = ours_command(content, output)
    env = {**env, "HIROBA_NOW": "2026-11-27 15:00"}
    full, _ = run(command, env)
    pages = sum(1 for p in output.rglob("*.html") if "pagefind" not in p.parts)
    print(f"{n}: full build {full:.1f} s, {pages} HTML pages")
    (content / "news" / "bench-emergency.md").write_text(EMERGENCY, "utf-8")
    for code, text in TRANSLATIONS.items():
        (content / "news" / f"bench-emergency.{code}.md").write_text(
            translation(code, *text), "utf-8"
        )
    fast_command = [sys.executable, "-m", "infra.tools.emergency", str(ROOT / "pelicanconf.py")]
    fast, out = run(fast_command, env)
    written = len(out.strip().splitlines()) - 1
    print(f"{n}: fast path {fast:.2f} s — {out.splitlines()[0]}")
    regions = Regions(lambda name: (output / name).read_bytes())
    pages_seen, missing, splice_seconds = 0, [], 0.0
    for page in output.rglob("*.html"):
        relative = page.relative_to(output).as_posix()
        if not page_path(relative):
            continue
        data = page.read_bytes()
        started = time.perf_counter()
        served = regions.apply(relative, data)
        splice_seconds += time.perf_counter() - started
        pages_seen += 1
        if relative.startswith("m/"):
            shown = "津波警報" in served[:16384].decode("cp932")
        else:
            shown = b"hiroba-emergency__list" in served[:65536]
        if not shown:
            missing.append(relative)
    if missing:
        raise SystemExit(f"{len(missing)} pages lack the banner, e.g. {missing[0]}")
    notice = content / "news" / "bench-emergency.md"
    named, out = run([*fast_command, f"--file={notice}"], env)
    print(f"{n}: fast path --file {named:.2f} s — {out.splitlines()[0]}")
    cold = None
    if drop_caches():
        cold, _ = run(fast_command, env)
        print(f"{n}: fast path, cold cache {cold:.2f} s")
    in_place, out = run([*fast_command[:3], "--in-place", fast_command[3]], env)
    print(f"{n}: fast path --in-place {in_place:.2f} s — {out.splitlines()[0]}")
    return {
        "source_pages": n,
        "html_pages": pages,
        "full_build_seconds": round(full, 2),
        "fast_path_seconds": round(fast, 2),
        "fast_path_cold_seconds": round(cold, 2) if cold is not None else None,
        "fast_path_file_seconds": round(named, 2),
        "files_written": written,
        "splice_microseconds_per_page": round(splice_seconds / pages_seen * 1e6, 1),
        "in_place_seconds": round(in_place, 2),
    }


def drop_caches():
    """Empty the page cache (root only), so the next run reads from disk."""
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    rows = [bench(n) for n in args.sizes]
    SITES.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"machine": machine(), "now": NOW, "rows": rows}, ensure_ascii=False, indent=1),
        "utf-8",
    )
    print(
        "| source pages | HTML pages | full build (s) | fast path (s) | with --file (s) "
        "| fast path, cold (s) | files written | splice per page (µs) | --in-place (s) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['source_pages']:,} | {row['html_pages']:,} | "
            f"{row['full_build_seconds']} | {row['fast_path_seconds']} | "
            f"{row['fast_path_file_seconds']} | {row['fast_path_cold_seconds']} | "
            f"{row['files_written']} | "
            f"{row['splice_microseconds_per_page']} | {row['in_place_seconds']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
