"""The emergency banner as an edge include: pages are served with the current banner.

Every page carries a banner region between `<!--hiroba:emergency-->` and
`<!--/hiroba:emergency … -->` near the top of <body>. The build and `make emergency` write
the current region of each kind of page into `_emergency/` (one small file per page kind
and language, listed in `_emergency/regions.json`). Whatever serves the pages — the
function CloudFront asks for pages in production (page_origin.py), the development server
locally — puts that region in place of the one the page was built with. So publishing or lifting an emergency
rewrites a dozen small files, not every page: its cost does not grow with the site.

Standard library only: this module is shipped as it is in the edge function's package.
"""

import json
from urllib.parse import unquote

START = b"<!--hiroba:emergency-->"
END = b"<!--/hiroba:emergency"
HEAD_BYTES = 16 * 1024  # the region is at the top of <body>
FOLDER = "_emergency"
MANIFEST = f"{FOLDER}/regions.json"


def span(data):
    """(start, end) of the banner region in a page's bytes, or None."""
    start = data.find(START)
    close = data.find(END, start) if start >= 0 else -1
    end = data.find(b"-->", close) if close >= 0 else -1
    return (start, end + 3) if end >= 0 else None


def splice(page, region):
    """The page (bytes) with `region` in place of its banner region (unchanged if none)."""
    found = span(page[:HEAD_BYTES]) or span(page)
    if found is None:
        return page
    start, end = found
    if page[start:end] == region:
        return page
    return page[:start] + region + page[end:]


def region_name(path, manifest):
    """The region file a page gets, from its path in the site ("en/news/x/index.html").

    One rule for the build, the fast path and the edge: the language is the first folder
    when it is a language subsite, and ポケットみやぎ (/m/) has its own regions in Shift_JIS,
    one for its top page (緊急情報 first) and one for every other page.
    """
    parts = path.lstrip("/").split("/")
    first = parts[0]
    lang = first if first in manifest["languages"] else manifest["default_lang"]
    if first == manifest["mobile_root"]:
        variant = "mobile-top" if parts[1:] in ([""], ["index.html"]) else "mobile"
        lang = manifest["default_lang"]
    else:
        variant = "main"
    return f"{variant}.{lang}.inc"


def site_path(url_path):
    """The file a URL path names, relative to the site ("/en/" -> "en/index.html"), or None
    when it would lead outside the site."""
    path = unquote(url_path.split("?", 1)[0]).lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    if ".." in path.split("/") or "\\" in path:
        return None
    return path


def page_path(url_path):
    """The page file a URL path is served from ("/en/" -> "en/index.html"), or None."""
    path = site_path(url_path)
    if path is None or not path.endswith(".html") or path.startswith(("pagefind/", FOLDER + "/")):
        return None
    return path


def manifest_bytes(default_lang, languages, mobile_root, computed_at=None):
    """The manifest; `computed_at` (ISO 8601) is the instant the regions show the state of,
    so that an upload never replaces newer emergency information by older
    (infra/aws/publish.py)."""
    manifest = {"default_lang": default_lang, "languages": sorted(languages)}
    manifest["mobile_root"] = mobile_root
    if computed_at:
        manifest["computed_at"] = computed_at
    return (json.dumps(manifest, sort_keys=True, indent=1) + "\n").encode("ascii")


class Regions:
    """The current regions, read through `read(name) -> bytes | None` (a file, an S3 object)."""

    def __init__(self, read):
        self._read = read
        raw = read(MANIFEST)
        self.manifest = json.loads(raw) if raw else None
        self._cache = {}

    def region_for(self, path):
        if self.manifest is None:
            return None
        name = region_name(path, self.manifest)
        if name not in self._cache:
            self._cache[name] = self._read(f"{FOLDER}/{name}")
        return self._cache[name]

    def apply(self, path, page):
        """The page as it should be served now."""
        region = self.region_for(path)
        return splice(page, region) if region else page
