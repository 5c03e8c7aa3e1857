"""Production settings: pelicanconf.py with the public address (make build SETTINGS=publishconf.py).

The address can be overridden with HIROBA_SITEURL (e.g. a municipality's own domain).
"""

import os

os.environ["HIROBA_SITEURL"] = os.environ.get("HIROBA_SITEURL") or "https://www.pref.miyagi.jp"

from pelicanconf import *  # noqa: E402, F403

# Feeds, the sitemap, canonical links and CAP alerts carry this address.
SITEURL = os.environ["HIROBA_SITEURL"]
FEED_DOMAIN = SITEURL
# A deploy never publishes /admin/ without the web editor (npm ci installs it).
WEB_EDITOR_REQUIRE_BUNDLE = True
