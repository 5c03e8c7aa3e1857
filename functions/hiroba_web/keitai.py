"""Pages for feature phones (ポケットみやぎ, /m/): XHTML Basic 1.0 in Shift_JIS, like the
static pages plugins/mobile_site writes, but answered by an API.

No script, no CSS, at most MAX_BYTES, links numbered for the keypad ([0] トップ), and only
elements and attributes XHTML Basic 1.0 has (no hr, no lang: those came with Basic 1.1). The text
is Japanese this module and the catalogue control (JIS X 0208; tests check every label and
message) and is encoded strictly with cp932, the Shift_JIS handsets read; nothing the sender
typed is echoed except a normalised reference number. Forms arrive percent-encoded from a
Shift_JIS page and are decoded as cp932 (undecodable bytes become U+FFFD, never an error).
The bytes reach the handset through http.binary_html.
"""

from html import escape
from urllib.parse import parse_qsl

from chalice import Response

from hiroba_core import problems

from .http import FORM, MAX_BODY, NO_STORE, media_type

ENCODING = "cp932"
CONTENT_TYPE = "text/html; charset=Shift_JIS"
MAX_BYTES = 10 * 1024
HOME = ("/m/", "トップ", "0")
_HEAD = """<?xml version="1.0" encoding="Shift_JIS"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML Basic 1.0//EN" "http://www.w3.org/TR/xhtml-basic/xhtml-basic10.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="ja">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS" />
<title>{title} - ポケットみやぎ</title>
</head>
<body>
<div>ポケットみやぎ（宮城県）</div>
"""
_FOOT = """<p>{links}</p>
<div>宮城県 022-211-2111（代表）</div>
</body>
</html>
"""


def read_form(request):
    """The fields of a form posted from a Shift_JIS page, decoded as cp932."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY:
        raise problems.too_large(MAX_BODY)
    kind = media_type(request)
    if kind != FORM:
        raise problems.unsupported_media_type(kind or "(none)", (FORM,))
    # latin-1 maps each byte (raw or percent-encoded) to one character and back again
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return {_cp932(key): _cp932(value) for key, value in pairs}


def _cp932(text):
    return text.encode("latin-1").decode(ENCODING, "replace")


def link(href, text, key):
    return f'<a href="{escape(href)}" accesskey="{key}">[{key}]{escape(text)}</a>'


def page(title, body, links=(), status=200, headers=None):
    """A whole handset page as a Response whose body is cp932 bytes.

    `body` is XHTML (escaped by the caller); `links` are (href, text, accesskey), [0] トップ
    is added last. Raises UnicodeEncodeError for text outside cp932 and ValueError over
    MAX_BYTES: both are programming errors the tests catch, never the sender's input."""
    keys = [*links, HOME]
    html = (
        _HEAD.format(title=escape(title))
        + body
        + _FOOT.format(links="<br />\n".join(link(*k) for k in keys))
    )
    data = html.encode(ENCODING)
    if len(data) > MAX_BYTES:
        raise ValueError(f"handset page of {len(data)} bytes (limit {MAX_BYTES})")
    return Response(
        body=data,
        status_code=status,
        headers={"Content-Type": CONTENT_TYPE, **NO_STORE, **(headers or {})},
    )


def lines(items):
    """Short lines in one paragraph, as handsets show them best."""
    return "<p>" + "<br />\n".join(items) + "</p>\n"


def error_page(problem, again):
    """The problem in plain text: its title, its detail and each field's message."""
    data = problem.body()
    body = f"<h1>{escape(data['title'])}</h1>\n<p>{escape(data['detail'])}</p>\n"
    if data.get("errors"):
        body += lines(f"・{escape(e['message'])}" for e in data["errors"])
    return page(data["title"], body, [again], status=problem.status, headers=problem.headers)
