"""`make emergency`: publish emergency information without waiting for a full build.

    python -m plugins.emergency [pelicanconf.py]

Reads only the front matter of the content files, then rewrites the banner region of every
page already in output/ (the site, and ポケットみやぎ in Shift_JIS) and writes the emergency
page, feeds and CAP alerts — the same bytes a full build writes. The full build that
follows the commit adds the notice's own pages.
"""

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pelican import Pelican
from pelican.generators import Generator
from pelican.settings import read_settings

from ..content_model import model
from ..mobile_site import sjis
from . import emergency

START = b"<!--hiroba:emergency-->"
END = emergency.END_MARK.encode("ascii")
HEAD_BYTES = 16 * 1024  # the banner is at the top of <body>


def span(data):
    """(start, end) of the banner region in a page's bytes, or None."""
    start = data.find(START)
    close = data.find(END, start) if start >= 0 else -1
    end = data.find(b"-->", close) if close >= 0 else -1
    return (start, end + 3) if end >= 0 else None


def rewrite(page, region):
    """Put `region` (bytes) in place of the page's banner region; True if it changed.

    Pages reserve a fixed-size region, so usually this is one read of the page's head and
    one write of the region where it is, whatever the size of the page.
    """
    descriptor = os.open(page, os.O_RDWR)
    try:
        data = os.pread(descriptor, HEAD_BYTES, 0)
        found = span(data)
        if found is None:  # not in the head: look in the whole page
            data = os.pread(descriptor, os.fstat(descriptor).st_size, 0)
            found = span(data)
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
    return sum(rewrite(page, regions[key]) for page, key in jobs)


def publish(settings):
    settings = emergency.settings_with_defaults(settings)
    Pelican(settings)  # loads the plugins, so the template filters are the build's
    env = Generator({}, settings, settings["PATH"], settings["THEME"], settings["OUTPUT_PATH"]).env
    now = model.build_time(settings.get("HIROBA_NOW"))
    found = emergency.live_emergencies(settings, now)
    default = emergency.in_language(found, settings["DEFAULT_LANG"])
    output = Path(settings["OUTPUT_PATH"])
    codes = set(emergency.language_codes(settings)) - {settings["DEFAULT_LANG"]}
    mobile_root = settings.get("MOBILE_PATH", "m")
    regions = {}

    def region_for(relative):
        mobile = relative[0] == mobile_root
        lang = relative[0] if relative[0] in codes else settings["DEFAULT_LANG"]
        variant = "main"
        if mobile:
            variant = "mobile-top" if relative[1:] == ("index.html",) else "mobile"
        if (variant, lang) not in regions:
            shown = emergency.in_language(found, lang)
            encode = sjis.encode if mobile else emergency.utf8
            html = emergency.banner_html(env, shown, variant, lang, encode=encode)
            regions[variant, lang] = encode(html)
        return (variant, lang)

    jobs = []
    for page in output.rglob("*.html"):
        relative = page.relative_to(output).parts
        if relative[0] != "pagefind":
            jobs.append((str(page), region_for(relative)))
    # one process per core: the work is many small reads and writes
    workers = os.cpu_count() or 1
    chunks = [(regions, jobs[n::workers]) for n in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pages = sum(pool.map(rewrite_all, chunks))
    emergency.write_outputs(found, settings, env, output)
    return default, pages, len(jobs)


def main(argv):
    started = time.perf_counter()
    settings = read_settings(argv[1] if len(argv) > 1 else "pelicanconf.py")
    default, pages, seen = publish(settings)
    elapsed = time.perf_counter() - started
    titles = "、".join(e.title for e in default) or "なし"
    print(
        f"emergency: {len(default)} live ({titles}); {pages} of {seen} pages updated "
        f"in {elapsed:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
