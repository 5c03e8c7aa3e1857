"""Static site search: Pagefind indexes the written site (Japanese segmentation, no server)."""

import json
import subprocess
import sys
from pathlib import Path

from pelican import signals

from .. import settings as plugin_settings
from ..settings import Setting

# False (HIROBA_SEARCH_INDEX=0) skips the index, for builds that only tests read
SETTINGS = {"SEARCH_INDEX": Setting(True)}


class SearchIndexError(SystemExit):
    pass


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS)


def index_site(pelican):
    if not pelican.settings["SEARCH_INDEX"]:
        return
    command = [sys.executable, "-m", "pagefind", "--site", pelican.output_path, "--silent"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SearchIndexError("search index: pagefind failed (see above)")
    # Pagefind lists the languages in hash-map order; sort them so that two builds of one
    # commit are byte-identical.
    entry = Path(pelican.output_path) / "pagefind" / "pagefind-entry.json"
    if entry.is_file():
        data = json.loads(entry.read_text("utf-8"))
        entry.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), "utf-8")


def register():
    signals.initialized.connect(initialized)
    signals.finalized.connect(index_site)
