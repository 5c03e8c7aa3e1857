"""Emergency fast path benchmark: publish an emergency notice on a built site of n pages.

For each size n (default 1,000 and 5,000 source pages; with 12 languages the built site
has about 12 x n HTML pages, since every page exists in every language) this:

  1. writes the synthetic site of bench/build_bench.py and builds it in full (timed),
  2. commits an emergency notice (防災, with its translations) to the content,
  3. times `python -m plugins.emergency` — the fast path: banner in every page, emergency
     page in every language, feeds and CAP alert — as a whole process, start to exit,
  4. checks that every page now carries the banner.

    .venv/bin/python bench/emergency_bench.py [--sizes 1000 5000]

Results go to bench/sites/emergency.json; see docs/benchmarks.md.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from build_bench import CORPUS, NOW, SITES, Corpus, SiteWriter, machine, ours_command  # noqa: E402

from tests.site.test_emergency import EMERGENCY, TRANSLATIONS, translation  # noqa: E402

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
    fast, out = run([sys.executable, "-m", "plugins.emergency", str(ROOT / "pelicanconf.py")], env)
    print(f"{n}: fast path {fast:.2f} s — {out.strip()}")
    missing = [
        p
        for p in output.rglob("*.html")
        if "pagefind" not in p.parts
        and b"hiroba-emergency" not in p.read_bytes()[:65536]
        and p.relative_to(output).parts[0] != "m"
    ]
    if missing:
        raise SystemExit(f"{len(missing)} pages lack the banner, e.g. {missing[0]}")
    return {
        "source_pages": n,
        "html_pages": pages,
        "full_build_seconds": round(full, 2),
        "fast_path_seconds": round(fast, 2),
    }


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
    print("| source pages | HTML pages | full build (s) | fast path (s) |")
    print("| ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['source_pages']:,} | {row['html_pages']:,} | "
            f"{row['full_build_seconds']} | {row['fast_path_seconds']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
