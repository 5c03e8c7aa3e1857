"""Static site search: Pagefind indexes the written site (Japanese segmentation, no server)."""

import json
import os
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


def pages_glob(output, settings):
    """A Pagefind glob of the files that can carry data-pagefind-body.

    Every folder of the Japanese site, and in each language subsite the files that are not
    its fallback pages. The fallbacks and /m/ are 16 of every 17 HTML files and carry no
    indexed page: Pagefind would read and parse them all for nothing (docs/benchmarks.md).
    """
    output = Path(output)
    site = site_for(settings)
    languages = {lang.prefix.strip("/") for lang in site.langs if lang.code != site.default}
    skipped = languages | SKIP_FOLDERS | {settings.get("MOBILE_PATH", "m")}
    patterns = ["*.html"]
    patterns += [
        f"{entry.name}/**/*.html"
        for entry in sorted(output.iterdir())
        if entry.is_dir() and entry.name not in skipped
    ]
    fallbacks = fallback_pages.written(output)
    for language in sorted(languages):
        for folder, _, names in sorted(os.walk(output / language)):
            relative = Path(folder).relative_to(output).as_posix()
            patterns += sorted(
                f"{relative}/{name}"
                for name in names
                if name.endswith(".html") and f"{relative}/{name}" not in fallbacks
            )
    return "{" + ",".join(patterns) + "}"


def index_site(pelican):
    if not pelican.settings["SEARCH_INDEX"]:
        return
    output = Path(pelican.output_path).resolve()
    with tempfile.TemporaryDirectory() as config:
        # the glob in Pagefind's config file (read from the working folder): as an argument
        # it could pass the kernel's 128 KiB limit on one argument at tens of thousands of pages
        config_file = Path(config) / "pagefind.json"
        config_file.write_text(
            json.dumps({"site": str(output), "glob": pages_glob(output, pelican.settings)})
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
