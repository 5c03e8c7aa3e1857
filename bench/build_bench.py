"""Build-time benchmark: our full build against plain Pelican on the same synthetic Markdown.

For each size n this writes a synthetic site of n pages under bench/sites/<n>/content/
(about 80% notices in news/, 20% pages under pages/<section>/), built from sentences,
headings, list items and tables of the real content, so every file passes the content
checks. It then times, with the best of --repeat runs each:

  ours:  python -m pelican -s pelicanconf.py (all our plugins, theme and Pagefind index)
  plain: python -m pelican <content> -o <out> -s bench/plain_pelican.py (default theme,
         no plugins)

and prints seconds and pages/s for both with the ratio ours/plain. The results, with the
machine they ran on, go to bench/sites/results.json. See docs/benchmarks.md.

    .venv/bin/python -m bench.build_bench [--sizes 1000 5000] [--repeat 1] [--output-root DIR]
        [--one-process]

The 20,000-page size is not a default (a pair of builds takes minutes):
`--sizes 20000 --output-root /dev/shm/hiroba-bench` (the outputs take about 3.5 GB there, 7 GB with --one-process).
"""

import argparse
import json
import os
import platform
import random
import re
import resource
import runpy
import shutil
import subprocess
import sys
import time
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

from hiroba_core.dates import format_date_ja

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
SITES = BENCH / "sites"
RESULTS = SITES / "results.json"
PLAIN_SETTINGS = BENCH / "plain_pelican.py"
CORPUS = [ROOT / "content" / "news", ROOT / "content" / "pages" / "policy"]
NOW = "2026-11-27 12:00"
SEED = 2026
NOTICE_SHARE = 0.8
PAGE_SECTIONS = ("policy", "about")
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 11, 26)
WEEKDAYS = "月火水木金土日"
VENUES = (
    "宮城県庁2階講堂",
    "大崎合同庁舎",
    "石巻合同庁舎",
    "仙台合同庁舎",
    "大河原合同庁舎",
    "栗原合同庁舎",
    "登米合同庁舎",
    "気仙沼合同庁舎",
)
# A sentence or list item is reused only if it carries no markup that could need a target
# (links, images, code) and nothing a check could object to once it is out of context.
UNSAFE = re.compile(r"[\[\]()<>`*|/\\_#!{}]|https?:|こちら|ここ")
SENTENCE = re.compile(r"[^。]+。")
# Sentences that lean on the one before; they do not open a paragraph or a summary.
CONNECTIVE = re.compile(
    r"^(また|そこで|さらに|なお|ただし|このため|この|その|これら|それら|こうした|あの|同じ)"
)
ORDERED = re.compile(r"^\d+[.)] ")
MARKUP = ("#", "|", ">", " ", "\t", "<", "!", "-", "+", "*")
DONE = re.compile(r"Processed (\d+) articles?, (\d+) drafts?, (\d+) hidden articles?, (\d+) pages?")


# ---------------------------------------------------------------- the corpus


class Corpus:
    """Reusable pieces of the real content: titles, sentences, headings, list items, tables."""

    def __init__(self, folders):
        self.titles, self.sentences, self.headings, self.items, self.tables = [], [], [], [], []
        for folder in folders:
            for path in sorted(folder.rglob("*.md")):
                if "." in path.stem:
                    continue  # a translation (x.en.md): the synthetic site is Japanese
                self._read(path.read_text("utf-8"))
        for name in ("titles", "sentences", "headings", "items"):
            setattr(self, name, sorted(set(getattr(self, name))))
        self.openers = [s for s in self.sentences if not CONNECTIVE.match(s)]
        if not (self.openers and self.headings and self.items and self.titles):
            raise SystemExit(f"no reusable content found under {', '.join(map(str, folders))}")

    def _read(self, text):
        front, _, body = text.partition("\n\n")
        for line in front.splitlines():
            if line.lower().startswith("title:"):
                title = line.split(":", 1)[1].strip()
                if not UNSAFE.search(title):
                    self.titles.append(title)
        lines = body.splitlines()
        for index, line in enumerate(lines):
            if line.startswith("## "):
                heading = line[3:].strip()
                if not UNSAFE.search(heading) and "年" not in heading:
                    self.headings.append(heading)
            elif line.startswith("- "):
                item = line[2:].strip()
                if not UNSAFE.search(item):
                    self.items.append(item)
            elif line.startswith(("表: ", "表：")):
                table = self._table(line, lines[index + 1 :])
                if table:
                    self.tables.append(table)
            elif line and not ORDERED.match(line) and not line.startswith(MARKUP):
                self.sentences += [s for s in SENTENCE.findall(line) if not UNSAFE.search(s)]

    @staticmethod
    def _table(caption, rest):
        """A captioned table as written: caption line, blank line, table rows."""
        if len(rest) < 3 or rest[0].strip() or not rest[1].startswith("|"):
            return None
        rows = []
        for line in rest[1:]:
            if not line.startswith("|"):
                break
            rows.append(line)
        cells = "".join(row.replace("|", "") for row in rows)
        if len(rows) < 3 or re.search(r"[\[\]()<>`*\\]|https?:", cells):
            return None
        return "\n".join([caption, "", *rows])


# ---------------------------------------------------------------- the synthetic site


def mandatory_translations():
    """Category slugs whose notices need every translation (pelicanconf.py's rule), if any."""
    settings = runpy.run_path(str(ROOT / "pelicanconf.py"))
    return set(settings.get("MULTILINGUAL_MANDATORY", {}))


class SiteWriter:
    """Writes n deterministic, check-clean Markdown files for one benchmark size."""

    def __init__(self, corpus, registry, n):
        self.corpus = corpus
        self.rng = random.Random(f"{SEED}-{n}")
        self.n = n
        taxonomy = tomllib.loads((registry / "taxonomy.toml").read_text("utf-8"))
        departments = tomllib.loads((registry / "departments.toml").read_text("utf-8"))
        # Not インターネット放送局 (video pages in media/), and not the categories whose notices
        # must exist in every language (MULTILINGUAL_MANDATORY): the synthetic site has no
        # translations, only the Japanese pages and what the build makes of them.
        skip = {"hosokyoku", *mandatory_translations()}
        self.categories = {
            name: slug for name, slug in taxonomy["categories"].items() if slug not in skip
        }
        if not self.categories:
            raise SystemExit("every category needs translations; the benchmark cannot use one")
        self.tags = taxonomy["tags"]
        self.departments = {k: v["name"] for k, v in departments.items() if k != "defaults"}
        self.written = []  # (relpath, title) of notices already written, for links

    def sentences(self, low, high):
        """low to high sentences; the first one can open a paragraph."""
        count = self.rng.randint(low, high)
        first = self.rng.choice(self.corpus.openers)
        rest = [s for s in self.rng.sample(self.corpus.sentences, count) if s != first]
        return first + "".join(rest[: count - 1])

    def schedule_table(self, day):
        rows = ["| 日時 | 会場 |", "| --- | --- |"]
        for _ in range(self.rng.randint(2, 5)):
            day += timedelta(days=self.rng.randint(1, 9))
            hour = self.rng.choice((10, 13, 14))
            when = (
                f"{format_date_ja(day)}（{WEEKDAYS[day.weekday()]}曜日）"
                f"{hour}時から{hour + 2}時まで"
            )
            rows.append(f"| {when} | {self.rng.choice(VENUES)} |")
        return "\n".join(["表: 説明会の日程と会場", "", *rows])

    def body(self, day):
        rng, corpus = self.rng, self.corpus
        headings = rng.sample(corpus.headings, 3)
        blocks = [self.sentences(2, 4), self.sentences(1, 3)]
        blocks += [f"## {headings[0]}", self.sentences(1, 3)]
        blocks.append(
            "\n".join(f"- {item}" for item in rng.sample(corpus.items, rng.randint(3, 5)))
        )
        blocks.append(f"## {headings[1]}")
        if corpus.tables and rng.random() < 0.5:
            blocks.append(rng.choice(corpus.tables))
        else:
            blocks.append(self.schedule_table(day))
        blocks.append(self.sentences(1, 3))
        if rng.random() < 0.5:
            blocks += [f"### {headings[2]}", self.sentences(2, 4)]
        if self.written and rng.random() < 0.3:
            relpath, title = rng.choice(self.written)
            blocks.append(f"関連するお知らせ: [{title}]({{filename}}/{relpath})")
        elif rng.random() < 0.2:
            blocks.append(f"{self.sentences(1, 1)}[お知らせの一覧](/news/)もご覧ください。")
        return "\n\n".join(blocks) + "\n"

    def when(self):
        span = (LAST_DAY - FIRST_DAY).days
        day = FIRST_DAY + timedelta(days=self.rng.randint(0, span))
        return datetime(day.year, day.month, day.day, self.rng.randint(8, 17), 30 * (day.day % 2))

    def notice(self, index):
        rng = self.rng
        moment = self.when()
        tags = rng.sample(sorted(self.tags), rng.randint(1, 2))
        slug = f"{self.tags[tags[0]]}-{index:05d}"
        title = rng.choice(self.corpus.titles)
        if rng.random() < 0.5:
            title += f"（第{rng.randint(2, 9)}報）"
        front = [
            f"Title: {title}",
            f"Date: {moment:%Y-%m-%d %H:%M}",
            f"Category: {rng.choice(sorted(self.categories))}",
            f"Tags: {', '.join(tags)}",
            f"Slug: {slug}",
            f"Summary: {self.sentences(1, 2)}",
            f"Department: {rng.choice(sorted(self.departments))}",
        ]
        relpath = f"news/{moment:%Y-%m-%d}-{slug}.md"
        text = "\n".join(front) + "\n\n" + self.body(moment.date())
        self.written.append((relpath, title))
        return relpath, text

    def page(self, index):
        rng = self.rng
        moment = self.when()
        section = rng.choice(PAGE_SECTIONS)
        department = rng.choice(sorted(self.departments))
        slug = f"{section}-{index:05d}"
        front = [
            f"Title: {rng.choice(self.corpus.titles)}",
            f"Slug: {slug}",
            f"Summary: {self.sentences(1, 2)}",
            f"Department: {department}",
            f"Date: {moment:%Y-%m-%d}",
        ]
        relpath = f"pages/{section}/{slug}.md"
        return relpath, "\n".join(front) + "\n\n" + self.body(moment.date())

    def write(self, content):
        if content.exists():
            shutil.rmtree(content)
        shutil.copytree(ROOT / "content" / "registry", content / "registry")
        notices = round(self.n * NOTICE_SHARE)
        kinds = [True] * notices + [False] * (self.n - notices)
        self.rng.shuffle(kinds)
        for index, is_notice in enumerate(kinds, start=1):
            relpath, text = self.notice(index) if is_notice else self.page(index)
            path = content / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
        return notices, self.n - notices


# ---------------------------------------------------------------- timing


def ours_command(content, output):
    env = {
        **os.environ,
        "HIROBA_CONTENT": str(content),
        "HIROBA_OUTPUT": str(output),
        "HIROBA_NOW": NOW,
        "HIROBA_SEARCH_INDEX": "1",
    }
    return [sys.executable, "-m", "pelican", "-s", str(ROOT / "pelicanconf.py")], env


def one_process_command(content, output):
    """Ours with plugins/parallel_write off: everything written by one process (an A/B)."""
    command, env = ours_command(content, output)
    return command, {**env, "HIROBA_PARALLEL": "0"}


def plain_command(content, output):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    args = [sys.executable, "-m", "pelican", str(content), "-o", str(output)]
    return [*args, "-s", str(PLAIN_SETTINGS)], env


def timed(command, env, label):
    """(wall seconds, CPU seconds of the build and its children, Pelican's counts)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{label}: build failed with exit code {result.returncode}")
    done = DONE.search(result.stdout + result.stderr)
    counts = [int(x) for x in done.groups()] if done else None
    return seconds, cpu, counts


def html_files(output):
    return sum(1 for _ in output.rglob("*.html"))


def bench_size(corpus, n, repeat, output_root=None, one_process=False):
    site = SITES / str(n)
    content = site / "content"
    notices, pages = SiteWriter(corpus, ROOT / "content" / "registry", n).write(content)
    print(f"{n}: wrote {notices} notices and {pages} pages to {content.relative_to(ROOT)}")
    builds = {"ours": ours_command, "plain": plain_command}
    if one_process:
        builds = {"ours": ours_command, "ours-one-process": one_process_command, **builds}
    outputs = {
        name: (output_root / str(n) if output_root else site) / f"output-{name}" for name in builds
    }
    runs = {name: {"runs": [], "cpu_seconds": [], "load_average_before": []} for name in builds}
    # Alternate the two builds, so that a burst of load from elsewhere hits both alike.
    for attempt in range(1, repeat + 1):
        for name, make in builds.items():
            load = round(os.getloadavg()[0], 2)
            seconds, cpu, counts = timed(
                *make(content, outputs[name]), f"{name} build of {n} pages"
            )
            if counts and (counts[0] + counts[2], counts[3]) != (notices, pages):
                raise SystemExit(f"{name}: Pelican processed {counts}, expected {notices}+{pages}")
            runs[name]["runs"].append(round(seconds, 3))
            runs[name]["cpu_seconds"].append(round(cpu, 3))
            runs[name]["load_average_before"].append(load)
            print(
                f"{n}: {name} build {attempt}/{repeat}: {seconds:.2f} s "
                f"(CPU {cpu:.2f} s, load average before {load})"
            )
    row = {"pages": n, "notices": notices, "other_pages": pages}
    for name in builds:
        best = min(runs[name]["runs"])
        row[name] = {
            "seconds": best,
            "pages_per_second": round(n / best, 1),
            **runs[name],
            "html_files": html_files(outputs[name]),
        }
    row["ratio"] = round(row["ours"]["seconds"] / row["plain"]["seconds"], 2)
    row["cpu_ratio"] = round(min(row["ours"]["cpu_seconds"]) / min(row["plain"]["cpu_seconds"]), 2)
    if one_process:
        row["ratio_one_process"] = round(
            row["ours-one-process"]["seconds"] / row["plain"]["seconds"], 2
        )
    return row


# ---------------------------------------------------------------- the machine


def machine():
    def first(path, key):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return None

    def version(module):
        try:
            from importlib.metadata import version as package_version

            return package_version(module)
        except Exception:
            return None

    return {
        "cpus": os.cpu_count(),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "memory": first("/proc/meminfo", "MemTotal"),
        "os": platform.platform(),
        "python": platform.python_version(),
        "pelican": version("pelican"),
        "markdown": version("markdown"),
        "pagefind": version("pagefind"),
    }


def source_state():
    """The commit and plugins measured: the numbers belong to this state of the tree."""

    def git(*args):
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else None

    changed = git("status", "--porcelain", "--untracked-files=no")
    plugins = re.search(r"^PLUGINS = \[(.*?)\]", (ROOT / "pelicanconf.py").read_text(), re.M | re.S)
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": len(changed.splitlines()) if changed is not None else None,
        "plugins": re.findall(r"[\"']([\w.]+)[\"']", plugins.group(1)) if plugins else None,
    }


def table(rows):
    one = any("ours-one-process" in row for row in rows)
    header = "| pages | ours (s) | ours (pages/s) | plain Pelican (s) | plain (pages/s) | ratio ours/plain | CPU ratio |"
    header += " ours on one process (s) |" if one else ""
    lines = [header, "| ---: " * (8 if one else 7) + "|"]
    for row in rows:
        ours, plain = row["ours"], row["plain"]
        line = (
            f"| {row['pages']:,} | {ours['seconds']:.1f} | {ours['pages_per_second']:.0f} "
            f"| {plain['seconds']:.1f} | {plain['pages_per_second']:.0f} | {row['ratio']:.2f} "
            f"| {row['cpu_ratio']:.2f} |"
        )
        if one:
            line += f" {row['ours-one-process']['seconds']:.1f} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000], metavar="N")
    parser.add_argument("--repeat", type=int, default=1, help="runs per build; the best counts")
    parser.add_argument(
        "--output-root",
        type=Path,
        metavar="DIR",
        help="write the built sites to DIR/<n>/ (e.g. a tmpfs) instead of bench/sites/<n>/",
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="write the synthetic sites, build nothing"
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="also time ours written by one process (HIROBA_PARALLEL=0), alternating with the others",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or any(n < 10 for n in args.sizes):
        parser.error("--repeat must be at least 1 and every size at least 10")
    corpus = Corpus(CORPUS)
    if args.generate_only:
        for n in args.sizes:
            SiteWriter(corpus, ROOT / "content" / "registry", n).write(SITES / str(n) / "content")
        return 0
    rows = [
        bench_size(corpus, n, args.repeat, args.output_root, args.one_process) for n in args.sizes
    ]
    results = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.executable), *sys.argv]),
        "repeat": args.repeat,
        "output_root": str(args.output_root or SITES.relative_to(ROOT)),
        "machine": machine(),
        "source": source_state(),
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print()
    print(table(rows))
    print(f"\nresults: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
