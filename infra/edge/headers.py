"""The headers a page is served with, the same from the edge and the development server."""

MOBILE_ROOT = "m/"
# Pages change when an emergency is published; CloudFront keeps them a minute at most
# and the fast path invalidates them, so residents never wait longer than that.
PAGE_CACHE_CONTROL = "public, max-age=60"


def content_type(path):
    """ポケットみやぎ (/m/) is written in Shift_JIS, the rest of the site in UTF-8."""
    if path.lstrip("/").startswith(MOBILE_ROOT):
        return "text/html; charset=Shift_JIS"
    return "text/html; charset=utf-8"
