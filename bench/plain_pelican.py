"""Plain Pelican for bench/build_bench.py: default theme, no plugins, the same Markdown.

Only what the synthetic content needs to be read the same way as by pelicanconf.py: the
article and page folders and the time zone. Content path and output come from the command
line (`pelican <content> -o <output> -s bench/plain_pelican.py`).
"""

SITENAME = "Hiroba benchmark (plain Pelican)"
TIMEZONE = "Asia/Tokyo"
DEFAULT_LANG = "ja"
ARTICLE_PATHS = ["news", "media"]
PAGE_PATHS = ["pages"]
PLUGINS = []
DELETE_OUTPUT_DIRECTORY = True
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
# The one departure from Pelican's defaults: the default theme lists every page in the menu
# of every output file, which makes plain Pelican quadratic in the number of pages (5,000
# synthetic pages: 96 s instead of 14 s) and measures a menu no real site would keep. Our
# theme has a fixed menu (MENU in pelicanconf.py).
DISPLAY_PAGES_ON_MENU = False
