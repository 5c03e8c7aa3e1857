"""Static site search: Pagefind indexes the written site (Japanese segmentation, no server)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pelican import signals

from .. import settings as plugin_settings
from ..fallback_pages import fallback_pages
from ..multilingual.multilingual import SKIP_FOLDERS, site_for
from ..settings import Setting

# False (HIROBA_SEARCH_INDEX=0) skips the index, for builds that only tests read
SETTINGS = {"SEARCH_INDEX": Setting(True)}


class SearchIndexError(SystemExit):
    pass


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS)


def indexed_pages(output, settings):
    """The output-relative paths (sorted) of the files that can carry data-pagefind-body.

    Every folder of the Japanese site, and in each language subsite the files that are not
    its fallback pages. The fallbacks and /m/ are 16 of every 17 HTML files and carry no
    indexed page: Pagefind would read and parse them all for nothing (docs/benchmarks.md).
    """
    output = Path(output)
    site = site_for(settings)
    languages = {lang.prefix.strip("/") for lang in site.langs if lang.code != site.default}
    skipped = SKIP_FOLDERS | {settings.get("MOBILE_PATH", "m")}
    fallbacks = fallback_pages.written(output)
    found = []
    for entry in sorted(output.iterdir()):
        if entry.is_file() and entry.name.endswith(".html"):
            found.append(entry.name)
        elif entry.is_dir() and entry.name not in skipped:
            for folder, _, names in os.walk(entry):
                relative = Path(folder).relative_to(output).as_posix()
                found += [f"{relative}/{name}" for name in names if name.endswith(".html")]
    if languages:
        found = [
            path
            for path in found
            if path.split("/", 1)[0] not in languages or path not in fallbacks
        ]
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


def index_site(pelican):
    if not pelican.settings["SEARCH_INDEX"]:
        return
    output = Path(pelican.output_path).resolve()
    pages = indexed_pages(output, pelican.settings)
    with (
        tempfile.TemporaryDirectory(dir=output, prefix=".pagefind-") as source,
        tempfile.TemporaryDirectory() as config,
    ):
        stage(output, pages, Path(source))
        # Pagefind reads its config file from the working folder
        (Path(config) / "pagefind.json").write_text(
            json.dumps(
                {"site": source, "output_path": str(output / "pagefind"), "glob": "**/*.html"}
            )
        )
        command = [sys.executable, "-m", "pagefind", "--silent"]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=config)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SearchIndexError("search index: pagefind failed (see above)")
    # Pagefind lists the languages in hash-map order; sort them so that two builds of one
    # commit are byte-identical.
    entry = output / "pagefind" / "pagefind-entry.json"
    if entry.is_file():
        data = json.loads(entry.read_text("utf-8"))
        entry.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), "utf-8")


def register():
    signals.initialized.connect(initialized)
    signals.finalized.connect(index_site)
