"""Static site search: Pagefind indexes the written site (Japanese segmentation, no server).

A generator listed after every plugin that writes pages to index (those whose template has
`data-pagefind-body`: notices, pages, the newsletter, the procedures) and before /m/ and the
fallback pages: once both writing processes have got there (plugins/parallel_write), the
first starts Pagefind in the background, and the two go on writing /m/ and the fallback
pages while it indexes; `finalized` waits for it.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from .. import settings as plugin_settings
from ..multilingual.multilingual import SKIP_FOLDERS
from ..parallel_write import parallel_write
from ..settings import Setting

# False (HIROBA_SEARCH_INDEX=0) skips the index, for builds that only tests read
SETTINGS = {"SEARCH_INDEX": Setting(True)}
# The build's running Pagefind, kept in its own settings: nothing outlives the build.
RUNNING = "SEARCH_INDEX_RUNNING"
# Inside the output (hard links need the same file system), gone when Pagefind is done;
# in multilingual's SKIP_FOLDERS, so that the fallback pages leave it alone meanwhile.
SOURCE = ".pagefind-source"


class SearchIndexError(SystemExit):
    pass


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS)
    pelican.settings.pop(RUNNING, None)


def indexed_pages(output, settings):
    """The output-relative paths (sorted) of the files that can carry data-pagefind-body.

    Every folder of the Japanese site and of each language subsite, read before the fallback
    pages are written: the fallbacks and /m/ are 16 of every 17 HTML files and carry no
    indexed page, so Pagefind would read and parse them all for nothing (docs/benchmarks.md).
    """
    output = Path(output)
    skipped = SKIP_FOLDERS | {settings.get("MOBILE_PATH", "m")}
    found = []
    for entry in sorted(output.iterdir()):
        if entry.is_file() and entry.name.endswith(".html"):
            found.append(entry.name)
        elif entry.is_dir() and entry.name not in skipped:
            for folder, _, names in os.walk(entry):
                relative = Path(folder).relative_to(output).as_posix()
                found += [f"{relative}/{name}" for name in names if name.endswith(".html")]
    return sorted(found)


def stage(output, pages, folder):
    """Hard links to `pages` in `folder`, made in sorted order.

    Pagefind numbers pages in the order it walks the folder, which on tmpfs is the order
    the files were made; the build writes them from two processes (plugins/parallel_write),
    so the site's own folder would give another index each build. A folder made in one
    fixed order gives the same index every time, and holds nothing Pagefind need not read.
    """
    for relative in pages:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(output / relative, target)
        except OSError:  # a file system without hard links
            shutil.copyfile(output / relative, target)


class Running:
    """Pagefind at work on hard links to the indexed pages."""

    def __init__(self, output, pages):
        self.output = output
        self.source = output / SOURCE
        shutil.rmtree(self.source, ignore_errors=True)
        self.config = tempfile.TemporaryDirectory()
        stage(output, pages, self.source)
        # Pagefind reads its config file from the working folder
        (Path(self.config.name) / "pagefind.json").write_text(
            json.dumps(
                {
                    "site": str(self.source),
                    "output_path": str(output / "pagefind"),
                    "glob": "**/*.html",
                }
            )
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pagefind", "--silent"],
            cwd=self.config.name,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        atexit.register(self.stop)  # a build that fails meanwhile leaves no Pagefind behind

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def wait(self):
        try:
            report, _ = self.process.communicate()
        finally:
            atexit.unregister(self.stop)
            shutil.rmtree(self.source, ignore_errors=True)
            self.config.cleanup()
        if self.process.returncode != 0:
            sys.stderr.write(report)
            raise SearchIndexError("search index: pagefind failed (see above)")
        # Pagefind lists the languages in hash-map order; sort them so that two builds of
        # one commit are byte-identical.
        entry = self.output / "pagefind" / "pagefind-entry.json"
        if entry.is_file():
            data = json.loads(entry.read_text("utf-8"))
            entry.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), "utf-8")


class SearchIndexGenerator(Generator):
    """Starts Pagefind once every page it indexes is in the output; writes nothing itself."""

    WRITES_IN_LANES = True  # both processes come to the barrier

    def generate_context(self):
        pass

    def generate_output(self, writer=None):
        if not self.settings["SEARCH_INDEX"]:
            return
        parallel_write.barrier(self.settings)
        if parallel_write.first_lane(self.settings):
            output = Path(self.output_path).resolve()
            pages = indexed_pages(output, self.settings)
            self.settings[RUNNING] = Running(output, pages)
        # the fallback pages go into the folders just read: neither process writes one
        # before the pages to index have been listed
        parallel_write.barrier(self.settings)


def index_site(pelican):
    running = pelican.settings.pop(RUNNING, None)
    if running is not None:
        running.wait()


def get_generators(pelican):
    return SearchIndexGenerator


def register():
    signals.initialized.connect(initialized)
    signals.get_generators.connect(get_generators)
    signals.finalized.connect(index_site)
