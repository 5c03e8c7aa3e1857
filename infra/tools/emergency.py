"""`make emergency`: publish emergency information without waiting for a full build.

    python -m infra.tools.emergency [pelicanconf.py] [--in-place] [--file content/news/x.md]

Reads the front matter of the content files that can be emergencies (with --file, only that
notice, its translations and the emergencies the last run watched), then writes the
banner regions (`_emergency/`, served into every page by the edge: functions/hiroba_core/emergency_region.py),
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
from pelican.generators import ArticlesGenerator, Generator
from pelican.settings import read_settings
from pelican.writers import Writer

from hiroba_core import emergency_region as edge
from hiroba_core import sjis
from hiroba_core.content import model
from plugins.content_checks import content_checks
from plugins.emergency import emergency
from plugins.mobile_site import mobile_site


class NotPublished(SystemExit):
    """The notice failed the content checks: printed as path:line, nothing was written."""


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


class LiveSources:
    """`relpath in …` for link targets, read on demand: the fast path has not read the site,
    so a {filename} link is good when its file exists and is published now."""

    def __init__(self, settings, now):
        self.root, self.now = Path(settings["PATH"]), now

    def __contains__(self, relpath):
        path = self.root / relpath
        if not path.is_file():
            return False
        values = model.read_front_matter(path.read_text("utf-8")).values
        try:
            live = model.window_of(values).is_live(self.now)
        except model.BadDate:
            return False
        return live and values.get("status", "published") == "published"

    def get(self, relpath):
        return None  # not read: links relative to the notice's own URL are left to the build


class PublishedFiles:
    """`save_as in …` for absolute links: what the site serves now, or what this run adds."""

    def __init__(self, output, adding):
        self.output, self.adding = Path(output), set(adding)

    def __contains__(self, save_as):
        return save_as in self.adding or (self.output / save_as).is_file()

    def items(self):
        return ()  # duplicate outputs need the whole site: the full build checks them


def notice_files(settings, files, found):
    """The files to check: those named, their translations, and the live emergencies."""
    content = Path(settings["PATH"]).resolve()
    paths = {content / e.source for e in found}
    for name in files:
        path = Path(name).resolve()
        base = path.name.split(".")[0]
        paths |= {path, *path.parent.glob(f"{base}.md"), *path.parent.glob(f"{base}.*.md")}
    return sorted(p for p in paths if p.is_file())


def check(settings, paths, now, found):
    """The build's own rules for these files: warnings printed, errors stop the fast path."""
    content = Path(settings["PATH"]).resolve()
    adding = {url + "index.html" for e in found for url in [e.url, *dict(e.lang_urls).values()]}
    violations = content_checks.check_named_files(
        [p for p in paths if p.is_relative_to(content)],
        settings,
        LiveSources(settings, now),
        PublishedFiles(settings["OUTPUT_PATH"], adding),
    )
    for violation in violations:
        sys.stderr.write(f"{violation}\n")
    errors = [v for v in violations if not v.warning]
    if errors:
        sys.stderr.write(
            f"emergency: {len(errors)} error(s) in the notice; nothing was published. "
            "Fix the lines above and run it again.\n"
        )
        raise NotPublished(1)


def read_notices(settings, paths):
    """Pelican's article generator, having read these files only, as the build reads them
    (its reader and the plugins' signals): `.articles` are the originals, each with its
    `.translations`."""
    content = Path(settings["PATH"]).resolve()
    relpaths = sorted(p.relative_to(content).as_posix() for p in paths)
    context = settings.copy()
    context.update(generated_content={}, static_links=set(), static_content={})
    context["localsiteurl"] = settings["SITEURL"]
    # Pelican reads ARTICLE_PATHS, which may name files: only these are read. The settings
    # object itself is narrowed for the reading, not a copy, because the plugins keep what
    # they compute per settings object (the language catalogs: 0.15 s to load again).
    saved = settings["ARTICLE_PATHS"], settings.get("ARTICLE_EXCLUDES", [])
    settings["ARTICLE_PATHS"], settings["ARTICLE_EXCLUDES"] = relpaths, []
    try:
        generator = ArticlesGenerator(
            context=context,
            settings=settings,
            path=settings["PATH"],
            theme=settings["THEME"],
            output_path=settings["OUTPUT_PATH"],
        )
        if relpaths:
            generator.generate_context()
    finally:
        settings["ARTICLE_PATHS"], settings["ARTICLE_EXCLUDES"] = saved
    return generator


def share(generator, env):
    """One template environment for every output of the run: each template compiled once."""
    generator.env = env
    return generator


def write_notice_pages(generator, found, settings, env):
    """The live notices' own pages — the original, each translation, every other language
    (the Japanese text, translation being prepared) and ポケットみやぎ — so that every link
    of every banner answers before the full build runs. Returns the files written."""
    output = Path(settings["OUTPUT_PATH"])
    live = {e.identifier for e in found}
    originals = [a for a in generator.articles if emergency.translation_id(a) in live]
    translations = [t for a in originals for t in a.translations]
    context = generator.context
    context.update(
        EMERGENCIES=emergency.in_language(found, settings["DEFAULT_LANG"]),
        ALL_EMERGENCIES=found,
        EMERGENCIES_BY_LANG={
            code: emergency.in_language(found, code) for code in emergency.language_codes(settings)
        },
    )
    writer = Writer(str(output), settings=generator.settings)
    written = []
    for article in [*originals, *translations]:
        writer.write_file(
            article.save_as,
            generator.get_template(article.template),
            context,
            article=article,
            category=getattr(article, "category", None),
            url=article.url,
            blog=True,
        )
        written.append(article.save_as)
    written += emergency.write_untranslated(originals, found, context, env, output)
    mobile = mobile_site.MobileGenerator(
        context=context,
        settings=generator.settings,
        path=settings["PATH"],
        theme=settings["THEME"],
        output_path=str(output),
    )
    share(mobile, env)
    shown = context["EMERGENCIES"]
    mobile.banner = emergency.banner_html(mobile.env, shown, "mobile", encode=sjis.encode)
    mobile.banner_top = emergency.banner_html(mobile.env, shown, "mobile-top", encode=sjis.encode)
    mobile.page_urls = {a.url for a in originals}
    simplifier = mobile_site.Simplifier(mobile.mobile_url, mobile.image)
    root = Path(mobile.output_path) / mobile.root
    for article in originals:
        before = set(root.joinpath(article.url).rglob("index.html"))
        mobile.write_item(article, simplifier)
        after = set(root.joinpath(article.url).rglob("index.html"))
        written += [p.relative_to(output).as_posix() for p in sorted(before | after)]
    return written


def publish(settings, in_place=False, files=()):
    """(live emergencies in the default language, files written, pages rewritten)."""
    settings = emergency.settings_with_defaults(settings)
    Pelican(settings)  # loads the plugins, so the template filters are the build's
    env = Generator({}, settings, settings["PATH"], settings["THEME"], settings["OUTPUT_PATH"]).env
    now = model.build_time(settings.get("HIROBA_NOW"))
    found, watched = emergency.scan(settings, now, sources_to_read(settings, files))
    paths = notice_files(settings, files, found)
    check(settings, paths, now, found)  # before Pelican reads them: it stops on a bad date
    generator = share(read_notices(settings, paths), env)
    output = Path(settings["OUTPUT_PATH"])
    before = _snapshot(output)
    regions = emergency.regions(found, settings, env)
    emergency.write_outputs(found, settings, env, output)
    notice_pages = write_notice_pages(generator, found, settings, env)
    emergency.write_regions(regions, settings, output, now)
    emergency.write_watched(watched, output)
    rewritten = None
    if in_place:
        manifest = edge.Regions(lambda name: (output / name).read_bytes()).manifest
        rewritten = rewrite_pages(output, regions, manifest)
    written = sorted({*_changed(output, before), *notice_pages})
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
    parser = argparse.ArgumentParser(prog="python -m infra.tools.emergency", description=__doc__)
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
    try:
        default, written, rewritten = publish(settings, args.in_place, args.file)
    except NotPublished as failure:
        return failure.code
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
