"""Static site search: Pagefind indexes the written site (Japanese segmentation, no server)."""

import subprocess
import sys

from pelican import signals


class SearchIndexError(SystemExit):
    pass


def index_site(pelican):
    if not pelican.settings.get("SEARCH_INDEX", True):
        return
    command = [sys.executable, "-m", "pagefind", "--site", pelican.output_path, "--silent"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SearchIndexError("search index: pagefind failed (see above)")


def register():
    signals.finalized.connect(index_site)
