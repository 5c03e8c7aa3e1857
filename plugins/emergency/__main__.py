"""`make emergency`: publish emergency information without waiting for a full build.

    python -m plugins.emergency [pelicanconf.py]

Reads only the front matter of the content files, then rewrites the banner region of every
page already in output/ (the site, and ポケットみやぎ in Shift_JIS) and writes the emergency
page, feeds and CAP alerts — the same bytes a full build writes. The full build that
follows the commit adds the notice's own pages.
"""

import sys
import time
from pathlib import Path

from pelican import Pelican
from pelican.generators import Generator
from pelican.settings import read_settings

from ..content_model import model
from . import emergency


def publish(settings):
    settings = emergency.settings_with_defaults(settings)
    Pelican(settings)  # loads the plugins, so the template filters are the build's
    env = Generator({}, settings, settings["PATH"], settings["THEME"], settings["OUTPUT_PATH"]).env
    now = model.build_time(settings.get("HIROBA_NOW"))
    found = emergency.live_emergencies(settings, now)
    default = emergency.in_language(found, settings["DEFAULT_LANG"])
    output = Path(settings["OUTPUT_PATH"])
    codes = set(emergency.language_codes(settings)) - {settings["DEFAULT_LANG"]}
    banners = {}
    pages = 0
    for page in output.rglob("*.html"):
        relative = page.relative_to(output).parts
        if relative[0] == "pagefind":
            continue
        mobile = relative[0] == settings.get("MOBILE_PATH", "m")
        encoding = "cp932" if mobile else "utf-8"
        lang = relative[0] if relative[0] in codes else settings["DEFAULT_LANG"]
        variant = "main"
        if mobile:
            variant = "mobile-top" if relative[1:] == ("index.html",) else "mobile"
        if (variant, lang) not in banners:
            shown = emergency.in_language(found, lang)
            banners[variant, lang] = emergency.banner_html(env, shown, variant, lang)
        banner = banners[variant, lang]
        text = page.read_text(encoding)
        updated = emergency.replace_banner(text, banner)
        if updated != text:
            page.write_bytes(updated.encode(encoding))
            pages += 1
    emergency.write_outputs(found, settings, env, output)
    return default, pages


def main(argv):
    started = time.perf_counter()
    settings = read_settings(argv[1] if len(argv) > 1 else "pelicanconf.py")
    default, pages = publish(settings)
    elapsed = time.perf_counter() - started
    titles = "、".join(e.title for e in default) or "なし"
    print(f"emergency: {len(default)} live ({titles}); {pages} pages updated in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
