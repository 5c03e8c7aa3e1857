"""Pages for feature phones (ポケットみやぎ, /m/): XHTML Basic 1.0 in Shift_JIS, like the
static pages plugins/mobile_site writes, but answered by an API.

No script, no CSS, at most MAX_BYTES, links numbered for the keypad ([0] トップ), and only
elements and attributes XHTML Basic 1.0 has (no hr, no lang: those came with Basic 1.1). The text
is Japanese this module and the catalogue control (JIS X 0208; tests check every label and
message) and is encoded strictly with cp932, the Shift_JIS handsets read; nothing the sender
typed is echoed except a normalised reference number. Forms arrive percent-encoded from a
Shift_JIS page and are decoded as cp932 (undecodable bytes become U+FFFD, never an error).
The pages are templates of theme/templates/mobile/ (app.html and its XHTML Basic components,
components/mobile_*), rendered by hiroba_web.templates with autoescape.
The bytes reach the handset through http.binary_html.
"""

from urllib.parse import parse_qsl

from chalice import Response

from hiroba_core import problems

from . import templates
from .http import FORM, MAX_BODY, NO_STORE, media_type

ENCODING = "cp932"
CONTENT_TYPE = "text/html; charset=Shift_JIS"
MAX_BYTES = 10 * 1024
HOME = ("/m/", "トップ", "0")


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


def page(template, links=(), status=200, headers=None, **context):
    """A whole handset page (a template of theme/templates/mobile/, on mobile/app.html) as
    a Response whose body is cp932 bytes.

    `links` are (href, text, accesskey), [0] トップ is added last. Raises
    UnicodeEncodeError for text outside cp932 and ValueError over MAX_BYTES: both are
    programming errors the tests catch, never the sender's input."""
    html = templates.render(template, keys=[*links, HOME], **context)
    data = html.encode(ENCODING)
    if len(data) > MAX_BYTES:
        raise ValueError(f"handset page of {len(data)} bytes (limit {MAX_BYTES})")
    return Response(
        body=data,
        status_code=status,
        headers={"Content-Type": CONTENT_TYPE, **NO_STORE, **(headers or {})},
    )


def error_page(problem, again):
    """The problem in plain text: its title, its detail and each field's message."""
    data = problem.body()
    return page(
        "mobile/app-error.html",
        [again],
        status=problem.status,
        headers=problem.headers,
        title=data["title"],
        problem=data,
    )
