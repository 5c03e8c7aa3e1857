"""The headers a page is served with, the same from the edge and the development server."""

MOBILE_ROOT = "m/"
# Pages change when an emergency is published; CloudFront keeps them a minute at most,
# and the upload of an emergency (infra/aws/publish.py) invalidates them at once.
PAGE_CACHE_CONTROL = "public, max-age=60"


def content_type(path):
    """ポケットみやぎ (/m/) is written in Shift_JIS, the rest of the site in UTF-8."""
    if path.lstrip("/").startswith(MOBILE_ROOT):
        return "text/html; charset=Shift_JIS"
    return "text/html; charset=utf-8"


# Feature phones post the status inquiry form to /api/procedures/m/… with whatever Accept
# header they have (often */*). API Gateway hands a binary answer (the Shift_JIS page) back
# as bytes only when the request's first Accept type is one of the API's binary media types
# (functions/hiroba_web/http.py), so requests there are sent on with this Accept: by a
# CloudFront Function in production (infra/aws/site.py), by the proxy of the development
# server locally.
HANDSET_API_PREFIX = "/api/procedures/m/"
HANDSET_ACCEPT = "application/xhtml+xml, text/html"


def api_request(path, accept):
    """(path at the app, Accept to send) for a request to /api/<app>/…"""
    if path.startswith(HANDSET_API_PREFIX):
        accept = HANDSET_ACCEPT
    rest = path.split("/", 3)[3] if path.count("/") >= 3 else ""
    return "/" + rest, accept
