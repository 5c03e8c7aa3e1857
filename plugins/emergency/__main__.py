"""`make emergency`: publish emergency information without waiting for a full build.

    python -m plugins.emergency [pelicanconf.py] [--in-place] [--file content/news/x.md]

Reads the front matter of the content files that can be emergencies (with --file, only that
notice, its translations and the emergencies the last run watched), then writes the
banner regions (`_emergency/`, served into every page by the edge: infra/edge/banner.py),
the emergency page in every language, the emergency feeds and the CAP alerts — the same
bytes a full build writes. That is a fixed number of small files, whatever the size of the
site. `--in-place` also rewrites the banner region of every page already in output/, for
hosting without the edge include (that part grows with the site). It prints the files it
wrote, one per line after the summary, for the upload step (infra/aws/publish.py).
The full build that follows the commit adds the notice's own pages.
"""

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pelican import Pelican
from pelican.generators import Generator
from pelican.settings import read_settings

from infra.edge import banner as edge

from ..content_model import model
from . import emergency


def rewrite(page, region):
    """Put `region` (bytes) in place of the page's banner region; True if it changed.

    Pages reserve a fixed-size region, so usually this is one read of the page's head and
    one write of the region where it is, whatever the size of the page.
    """
    descriptor = os.open(page, os.O_RDWR)
    try:
        data = os.pread(descriptor, edge.HEAD_BYTES, 0)
        found = edge.span(data)
        if found is None:  # not in the head: look in the whole page
            data = os.pread(descriptor, os.fstat(descriptor).st_size, 0)
            found = edge.span(data)
            if found is None:
                return False
        start, end = found
        if data[start:end] == region:
            return False
        if end - start == len(region):
            os.pwrite(descriptor, region, start)
            return True
        whole = os.pread(descriptor, os.fstat(descriptor).st_size, 0)
        os.pwrite(descriptor, whole[:start] + region + whole[end:], 0)
        os.ftruncate(descriptor, len(whole) - (end - start) + len(region))
        return True
    finally:
        os.close(descriptor)


def rewrite_all(chunk):
    regions, jobs = chunk
    return sum(rewrite(page, regions[name]) for page, name in jobs)


def rewrite_pages(output, regions, manifest):
    """Rewrite the banner region of every written page; (pages changed, pages seen)."""
    jobs = []
    for page in output.rglob("*.html"):
        relative = page.relative_to(output).as_posix()
        if edge.page_path(relative) and not relative.startswith(edge.FOLDER + "/"):
            jobs.append((str(page), edge.region_name(relative, manifest)))
    # one process per core: the work is many small reads and writes
    workers = os.cpu_count() or 1
    chunks = [(regions, jobs[n::workers]) for n in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(rewrite_all, chunks)), len(jobs)


def sources_to_read(settings, files):
    """The content files to read: with FILE=…, those files and their translations plus the
    emergencies the last build or fast path watched; otherwise None (read everything)."""
    watched = emergency.read_watched(settings["OUTPUT_PATH"])
    if not files or watched is None:
        return None
    content = Path(settings["PATH"]).resolve()
    paths = {content / name for name in watched}
    for name in files:
        path = Path(name).resolve()
        base = path.name.split(".")[0]  # 2026-11-27-x.md and its 2026-11-27-x.en.md …
        paths |= {path, path.parent / f"{base}.md", *path.parent.glob(f"{base}.*.md")}
    return sorted(paths)


def publish(settings, in_place=False, files=()):
    """(live emergencies in the default language, files written, pages rewritten)."""
    settings = emergency.settings_with_defaults(settings)
    Pelican(settings)  # loads the plugins, so the template filters are the build's
    env = Generator({}, settings, settings["PATH"], settings["THEME"], settings["OUTPUT_PATH"]).env
    now = model.build_time(settings.get("HIROBA_NOW"))
    found, watched = emergency.scan(settings, now, sources_to_read(settings, files))
    output = Path(settings["OUTPUT_PATH"])
    before = _snapshot(output)
    regions = emergency.regions(found, settings, env)
    emergency.write_outputs(found, settings, env, output)
    emergency.write_regions(regions, settings, output, now)
    emergency.write_watched(watched, output)
    rewritten = None
    if in_place:
        manifest = edge.Regions(lambda name: (output / name).read_bytes()).manifest
        rewritten = rewrite_pages(output, regions, manifest)
    written = sorted(_changed(output, before))
    default = emergency.in_language(found, settings["DEFAULT_LANG"])
    return default, written, rewritten


def _emergency_files(output):
    folders = [output / edge.FOLDER, output / "emergency", output / "feeds"]
    folders += [p / "emergency" for p in output.iterdir() if p.is_dir()] if output.is_dir() else []
    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file() and ("feeds" not in path.parts or "emergency" in path.name):
                    yield path


def _snapshot(output):
    return {p: p.read_bytes() for p in _emergency_files(output)}


def _changed(output, before):
    """Files the fast path wrote that differ from what was there (new, changed or removed)."""
    after = {p: p.read_bytes() for p in _emergency_files(output)}
    changed = {p for p, data in after.items() if before.get(p) != data}
    changed |= set(before) - set(after)  # removed (an expired CAP alert)
    return [p.relative_to(output).as_posix() for p in changed]


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m plugins.emergency", description=__doc__)
    parser.add_argument("settings", nargs="?", default="pelicanconf.py")
    parser.add_argument("--in-place", action="store_true", help="also rewrite every page")
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        help="the emergency notice just committed (repeatable): read it, its translations and "
        "the emergencies already watched, instead of every content file",
    )
    args = parser.parse_args(argv[1:])
    started = time.perf_counter()
    settings = read_settings(args.settings)
    content = Path(settings["PATH"]).resolve()
    # where the full build looks for emergencies (notices), and nowhere else
    folders = [content / top for top in settings["ARTICLE_PATHS"]]
    for name in args.file:
        path = Path(name).resolve()
        if not path.is_file() or not any(path.is_relative_to(f) for f in folders):
            places = ", ".join(str(f) for f in folders)
            print(f"{name}: not a notice file (in {places})", file=sys.stderr)
            return 2
    default, written, rewritten = publish(settings, args.in_place, args.file)
    elapsed = time.perf_counter() - started
    titles = "、".join(e.title for e in default) or "なし"
    pages = f"; {rewritten[0]} of {rewritten[1]} pages rewritten" if rewritten else ""
    print(
        f"emergency: {len(default)} live ({titles}); {len(written)} files written"
        f"{pages} in {elapsed:.2f} s"
    )
    for name in written:
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
