"""`make run`'s quick build: a saved notice's pages (every language, /m/) in about a second,
whatever the size of the site (docs/benchmarks.md, "Edit → live").

serve.py starts this module once as a long-lived worker (`python -m infra.local.quick_build`).
The worker first builds one notice as a warm-up and then imports every module that build
loaded (Pelican, the plugins, Markdown and its extensions, Jinja, Babel), so the interpreter's
start and the imports are paid once. For each save it forks a child that builds the saved
files alone (with their translations, against the registries, with the notices they link to
as stubs): fork gives every build a clean Pelican state (settings, signal receivers, the
plugins' per-build state) with the imports already warm. The child reads the settings (and
so the registries) afresh, and keeps the templates' compiled code in a Jinja bytecode cache
that the warm-up fills, so no build compiles a template twice. The child's output goes to a
log: a build that fails copies nothing (the full build that follows prints the errors).

One request per line on stdin, `{"sources": [path, ...]}`; one answer per line on stdout,
`{"ok": bool, "folders": [...], "worker": pid, "build": pid, "seconds": wall, "cpu": s}`.
The worker ends at the end of stdin. serve.py starts a new one when the plugins or the
settings change, since their code is imported once.
"""

import argparse
import importlib
import json
import logging
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hiroba_core import languages

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "pelicanconf.py"
WORK = ROOT / ".hiroba" / "quick-build"
# the language subsites' folders: every language but the default is a folder of its own
LANGUAGE_FOLDERS = tuple(
    lang.code for lang in languages.LANGUAGES if lang.code != languages.DEFAULT
)


# an internal link in Markdown or HTML: {filename}path, |static|path … (Pelican's forms)
LINK = re.compile(r"(?:\{(filename|static|attach)\}|\|(filename|static|attach)\|)([^)\s\"'>]+)")


def linked(source, content):
    """The files under `content` that `source` links to ({filename}, {static}, {attach})."""
    folder = source.parent.relative_to(content).as_posix()
    for *_, target in LINK.findall(source.read_text("utf-8", "replace")):
        path = unquote(urlsplit(target).path)
        relpath = posixpath.normpath(
            path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
        )
        if not relpath.startswith("..") and (content / relpath).is_file():
            yield content / relpath


def stub(source):
    """A notice's front matter alone: its URL and its metadata, and no links of its own."""
    front = source.read_text("utf-8", "replace").split("\n\n", 1)[0]
    return front + "\n\n"


def stage(sources, content, work):
    """A content folder in `work` holding `sources` (symlinks), the registries, and what
    the sources link to: other notices as their front matter alone (with their
    translations), so that the link checks pass and the links get the same URLs without
    building those notices or what they link to in turn; files as symlinks."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "content").mkdir(parents=True)
    (work / "content" / "registry").symlink_to(content / "registry")
    staged = set()

    def place(path, text=None):
        target = work / "content" / path.relative_to(content)
        if target in staged:
            return
        staged.add(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            target.symlink_to(path)
        else:
            target.write_text(text, "utf-8")

    for source in sources:
        place(source)
    for source in sources:
        for path in linked(source, content):
            if path.suffix != ".md":
                place(path)
                continue
            stem = path.name.split(".", 1)[0]
            for notice in sorted(path.parent.glob(f"{stem}.*")):
                if notice.suffix == ".md" and notice not in sources:
                    place(notice, stub(notice))


# generators whose pages never come from a Markdown file, so never from a saved one: their
# context is made (the link checks know their pages) but nothing written. The procedure
# pages (from registry/procedures.toml) were 45% of a quick build's time (docs/benchmarks.md).
UNPUBLISHED = ("plugins.procedure_pages.procedure_pages",)


def quick_pelican():
    """Pelican, with the generators in UNPUBLISHED writing nothing."""
    from pelican import Pelican

    def skip(generator, writer):
        return None

    class QuickPelican(Pelican):
        def _get_generator_classes(self):
            return [
                type(cls.__name__, (cls,), {"__module__": cls.__module__, "generate_output": skip})
                if cls.__module__ in UNPUBLISHED
                else cls
                for cls in super()._get_generator_classes()
            ]

    return QuickPelican


def run_pelican(work, bytecode):
    """In the forked child: what `pelican -s pelicanconf.py -q` does, on the staged content
    (no search index), with the shared template bytecode cache and a record of the pages
    written for each source (work/written.json). Returns the exit status."""
    os.environ.update(
        HIROBA_CONTENT=str(work / "content"),
        HIROBA_OUTPUT=str(work / "output"),
        HIROBA_SEARCH_INDEX="0",
        HIROBA_PARALLEL="0",
    )
    import pelican
    from jinja2 import FileSystemBytecodeCache
    from pelican.plugins import signals

    args = pelican.parse_arguments(["-s", str(SETTINGS), "-q"])
    pelican.init_logging(
        level=args.verbosity,
        fatal=args.fatal,
        name="pelican",
        handler=pelican.LOG_HANDLERS[args.log_handler],
        logs_dedup_min_level=getattr(logging, args.logs_dedup_min_level),
    )
    try:
        settings = pelican.read_settings(args.settings, override=pelican.get_config(args))
        # one process: a one-notice build gains nothing from two lanes, the other core is
        # the full rebuild's, and the record of written pages must be in this process
        settings["PARALLEL_WRITE"] = settings["PARALLEL_READ"] = False
        settings["JINJA_ENVIRONMENT"] = {
            **settings["JINJA_ENVIRONMENT"],
            "bytecode_cache": FileSystemBytecodeCache(str(bytecode)),
        }
        written = []

        def record(path, context):
            item = context.get("article") or context.get("page")
            if item is not None:
                output = Path(path).relative_to(work / "output")
                written.append([item.get_relative_source_path(), output.as_posix()])

        signals.content_written.connect(record)
        quick_pelican()(settings).run()
        (work / "written.json").write_text(json.dumps(written), "utf-8")
    except SystemExit as stop:  # the content checks, after printing path:line: message
        return stop.code if isinstance(stop.code, int) else 1
    except Exception as error:
        logging.getLogger("pelican").critical("%s: %s", type(error).__name__, error)
        return getattr(error, "exitcode", 1)
    return 0


def fork_build(work, bytecode, modules=None):
    """Build the staged content in a forked child; (exit status, its pid, its CPU seconds:
    on a shared machine a steadier measure than the wall time). The child writes
    its output to work/build.log and, when asked, the names of the modules it ended with to
    `modules`."""
    log = work / "build.log"
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            status = run_pelican(work, bytecode)
            if modules:
                modules.write_text("\n".join(sorted(sys.modules)), "utf-8")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), pid, usage.ru_utime + usage.ru_stime


def publish(work, sources, content, overlay):
    """Copy the pages of `sources` from the small build in `work` to `overlay`; their
    folders: the page Pelican wrote for each source (not for the notices it links to, which
    are stubs) in the default language, and the same path in each language folder (the
    translation or the fallback) and under /m/."""
    built = work / "output"
    # the sources' sections (pelicanconf.py's PATH_METADATA: news/…, pages/<section>/…)
    relpaths = {source.relative_to(content).as_posix(): source for source in sources}
    sections = {
        parts[1] if parts[0] == "pages" else parts[0]
        for parts in (Path(relpath).parts for relpath in relpaths)
    }
    written = json.loads((work / "written.json").read_text("utf-8"))
    folders = sorted(
        {
            Path(page).parent
            for relpath, page in written
            if relpath in relpaths and Path(page).parts[0] in sections
        }
    )
    for folder in folders:
        for prefix in ["", "m/", *(f"{code}/" for code in LANGUAGE_FOLDERS)]:
            for page in sorted((built / f"{prefix}{folder}").glob("**/index.html")):
                target = overlay / page.relative_to(built)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(page, target)
    return folders


def warm(content, work, bytecode):
    """Build one notice in a child, then import every module it loaded."""
    sample = next(iter(sorted((content / "news").glob("*.md"))), None)
    if sample is None:
        return
    loaded = work / "modules.txt"
    stage([sample], content, work)
    fork_build(work, bytecode, loaded)
    names = loaded.read_text("utf-8").split() if loaded.is_file() else []
    for name in names:
        # not a module that runs a program when imported, nor the settings (read per build)
        if name.endswith("__main__") or name == SETTINGS.stem or name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - a module that only loads inside a build stays cold
            continue
    shutil.rmtree(work, ignore_errors=True)


def worker(content, overlay, folder=WORK):
    # stdout carries the answers alone: anything else a module prints goes to stderr
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    bytecode = folder / "jinja"
    shutil.rmtree(folder, ignore_errors=True)  # compiled for a theme that may have changed
    bytecode.mkdir(parents=True)
    warm(content, folder / "warm-up", bytecode)
    for line in sys.stdin:
        started = time.monotonic()
        sources = [Path(name) for name in json.loads(line)["sources"]]
        work = folder / "build"
        status, pid, cpu, folders = 1, None, 0.0, []
        try:
            stage(sources, content, work)
            status, pid, cpu = fork_build(work, bytecode)
            if status == 0:
                folders = publish(work, sources, content, overlay)
        except OSError as error:  # a file deleted since the save: the full build tells
            print(f"quick build: {error}", file=sys.stderr, flush=True)
            status = 1
        shutil.rmtree(work, ignore_errors=True)
        answer = {
            "ok": status == 0,
            "folders": [str(folder) for folder in folders],
            "worker": os.getpid(),
            "build": pid,
            "seconds": round(time.monotonic() - started, 3),
            "cpu": round(cpu, 3),
        }
        print(json.dumps(answer), file=answers, flush=True)


class QuickBuilder:
    """serve.py's handle on the worker: one process, restarted when it must reload code."""

    def __init__(self, content, overlay, folder=WORK):
        self.content, self.overlay, self.folder = Path(content), Path(overlay), Path(folder)
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.quick_build"]
            + ["--content", str(self.content), "--overlay", str(self.overlay)]
            + ["--work", str(self.folder)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def stop(self):
        # at once, even mid warm-up: a build in flight is not waited for (serve.py asks for
        # builds one at a time, so there is none)
        if self.process:
            self.process.stdin.close()
            self.process.terminate()
            self.process.wait()
        self.process = None

    def restart(self):
        self.stop()
        self.start()

    def build(self, sources):
        """The worker's answer for `sources` (see the module's docstring), or None when it
        is gone (it is started again for the next save)."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        try:
            self.process.stdin.write(
                json.dumps({"sources": [str(Path(s).absolute()) for s in sources]}) + "\n"
            )
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except OSError:
            line = ""
        if not line:
            self.stop()
            return None
        return json.loads(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, required=True)
    parser.add_argument("--overlay", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=WORK, help="the worker's own folder")
    args = parser.parse_args()
    worker(args.content.absolute(), args.overlay.absolute(), args.work.absolute())
    return 0


if __name__ == "__main__":
    sys.exit(main())
