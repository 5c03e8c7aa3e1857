"""The raw HTML policy: what HTML a Markdown file may carry, and which URLs it may link to.

Markdown passes raw HTML through to the page, and Python-Markdown's attr_list (part of
`extra`) lets `{: key=value}` set any attribute. Both are refused except for an allowlist
(what notices, translations and media pages need), and script URLs are refused wherever
a link or image can point: Markdown links, reference definitions, HTML attributes and
attr_list values. URLs are compared the way a browser reads them: character references
decoded, ASCII whitespace and control characters removed, case ignored, so
`jav&#x09;ascript:` is `javascript:`.

Framework-free: `problems(lines)` takes [(line number, text)] and yields
(line number, message, rule).
"""

import html
import re
from html.parser import HTMLParser

# Elements an editor may write, with the attributes each may carry beyond GLOBAL.
ALLOWED = {
    "span": (),
    "ruby": (),
    "rb": (),
    "rt": (),
    "rp": (),
    "abbr": (),
    "kbd": (),
    "samp": (),
    "var": (),
    "code": (),
    "pre": (),
    "br": (),
    "wbr": (),
    "sub": (),
    "sup": (),
    "small": (),
    "strong": (),
    "em": (),
    "b": (),
    "i": (),
    "s": (),
    "u": (),
    "mark": (),
    "dfn": (),
    "bdi": (),
    "bdo": (),
    "q": ("cite",),
    "cite": (),
    "blockquote": ("cite",),
    "del": ("cite", "datetime"),
    "ins": ("cite", "datetime"),
    "time": ("datetime",),
    "data": ("value",),
    "p": (),
    "div": (),
    "hr": (),
    "h2": (),
    "h3": (),
    "h4": (),
    "h5": (),
    "h6": (),
    "ul": (),
    "ol": ("start", "reversed", "type"),
    "li": ("value",),
    "dl": (),
    "dt": (),
    "dd": (),
    "details": ("open",),
    "summary": (),
    "figure": (),
    "figcaption": (),
    "a": ("href", "hreflang", "type", "download"),
    "img": ("src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"),
    "picture": (),
    "table": (),
    "caption": (),
    "colgroup": ("span",),
    "col": ("span",),
    "thead": (),
    "tbody": (),
    "tfoot": (),
    "tr": (),
    "th": ("scope", "colspan", "rowspan", "headers", "abbr"),
    "td": ("colspan", "rowspan", "headers"),
    # media pages (インターネット放送局)
    "video": ("src", "controls", "poster", "width", "height", "preload", "muted", "playsinline"),
    "audio": ("src", "controls", "preload"),
    "source": ("src", "type", "srcset", "media", "sizes"),
    "track": ("src", "kind", "srclang", "label", "default"),
}
GLOBAL = ("lang", "title", "dir", "id", "class", "translate", "role")
# attributes whose value a browser follows or loads
URL_ATTRIBUTES = ("href", "src", "poster", "cite", "srcset")
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")

# Elements refused with a message of their own, because each has a usual reason to be tried.
REFUSED = {
    "script": "スクリプト（<script>）は本文に書けません",
    "style": "スタイル（<style>）は本文に書けません。見た目はテーマで決まります",
    "iframe": "<iframe>（他のサイトの埋め込み）は使えません。埋め込まずにリンクしてください",
    "frame": "<frame> は使えません",
    "object": "<object> は使えません。ファイルにはリンクしてください",
    "embed": "<embed> は使えません。ファイルにはリンクしてください",
    "form": "フォーム（<form>）は本文に書けません。意見募集や申請はそれぞれの仕組みを使ってください",
}
UNSAFE_URL = (
    "リンク先「{url}」は使えません（javascript: / vbscript: / data: の URL は"
    "スクリプトの実行や偽の画面に使われます）。https:// のページやサイト内のファイルにしてください"
)

INLINE_CODE = re.compile(r"(`+).*?\1")
MD_TARGET = re.compile(r"\]\(\s*<?([^\s)>]+)")
REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
ATTR_LIST = re.compile(r"(?<!\\)\{(:?[^{}\n]*=[^{}\n]*)\}")
ATTR_LIST_PAIR = re.compile(r"([^\s=]+)=(?:\"([^\"]*)\"|'([^']*)'|(\S*))")
# Markdown lets a link's target, or a reference definition's URL, start on the next line of
# the paragraph (and a browser drops a newline inside a URL): these see the paragraph whole
SPLIT_TARGET = re.compile(r"\]\(([^)]*)")
SPLIT_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\n[ \t]*<?(\S+)", re.M)
# backstops for markup the parser does not see as a tag but a browser might
LOOSE_REFUSED = re.compile(r"<\s*(" + "|".join(REFUSED) + r")\b", re.I)
LOOSE_HANDLER = re.compile(r"<[a-z][^>]*[\s/\"']on[a-z]+\s*=", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]")


def scheme_of(url):
    """The unsafe scheme a browser would see in `url`, or None."""
    seen = _INVISIBLE.sub("", html.unescape(url)).lower()
    for scheme in UNSAFE_SCHEMES:
        if seen.startswith(scheme):
            return scheme
    return None


def unsafe_url(url):
    # one line whatever the URL hides (a tab or newline would split the message)
    return UNSAFE_URL.format(url=_INVISIBLE.sub(" ", url).strip()[:40])


def _blank_code(line):
    # inline code shows markup as text: keep the columns, drop the content
    return INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []  # (offset line, message, rule)

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        if ":" in tag or "@" in tag:
            # a Markdown autolink (<https://…>, <someone@example.jp>), not an element
            if scheme_of(self.get_starttag_text()[1:-1]):
                self.found.append((line, unsafe_url(self.get_starttag_text()[1:-1]), "unsafe-url"))
            return
        if tag in REFUSED:
            self.found.append((line, REFUSED[tag], "raw-html"))
            return
        if tag not in ALLOWED:
            allowed = "、".join(f"<{name}>" for name in ("ruby", "abbr", "kbd", "span", "table"))
            self.found.append(
                (line, f"HTML 要素 <{tag}> は使えません（使えるのは {allowed} など）", "raw-html")
            )
            return
        for name, value in attrs:
            self.found.extend((line, m, r) for m, r in attribute_problems(tag, name, value or ""))

    handle_startendtag = handle_starttag


def attribute_problems(tag, name, value):
    """(message, rule) for one attribute of an allowed element (tag None: attr_list)."""
    name = name.lower()
    if name.startswith("on"):
        return [
            (
                f"イベント属性「{name}」は使えません（スクリプトを実行します）",
                "raw-html",
            )
        ]
    problems = []
    allowed = GLOBAL + (ALLOWED.get(tag, ()) if tag else sum(ALLOWED.values(), ()))
    if name not in allowed and not name.startswith("aria-"):
        where = f"<{tag}> の" if tag else ""
        problems.append((f"{where}属性「{name}」は使えません", "raw-html"))
    if name in URL_ATTRIBUTES:
        for url in value.split(",") if name == "srcset" else [value]:
            if scheme_of(url.strip()):
                problems.append((unsafe_url(url), "unsafe-url"))
    return problems


def problems(lines):
    """(line number, message, rule) for every refused piece of HTML or URL in `lines`."""
    lines = [(number, _blank_code(text)) for number, text in lines]
    found = []
    parser = _Parser()
    parser.feed("\n".join(text for _, text in lines))
    parser.close()
    for offset, message, rule in parser.found:
        found.append((lines[offset - 1][0], message, rule))
    parsed = {number for number, _, _ in found}
    for number, text in lines:
        targets = MD_TARGET.findall(text)
        definition = REF_DEFINITION.match(text)
        if definition:
            targets.append(definition.group(1))
        for target in targets:
            if scheme_of(target):
                found.append((number, unsafe_url(target), "unsafe-url"))
        for attributes in ATTR_LIST.findall(text):
            for name, *values in ATTR_LIST_PAIR.findall(attributes.lstrip(":")):
                value = next((v for v in values if v), "")
                for message, rule in attribute_problems(None, name, value):
                    found.append((number, message, rule))
        if number not in parsed:
            loose = LOOSE_REFUSED.search(text)
            if loose:
                found.append((number, REFUSED[loose.group(1).lower()], "raw-html"))
            elif LOOSE_HANDLER.search(text):
                found.append((number, "イベント属性（on…=）は使えません", "raw-html"))
    found.extend(_split_urls(lines))
    return found


def _split_urls(lines):
    """unsafe-url for link targets and definitions broken over lines (one line: above)."""
    paragraph = []
    for number, text in [*lines, (None, "")]:
        if text.strip():
            paragraph.append((number, text))
        else:
            yield from _paragraph_urls(paragraph)
            paragraph = []


def _paragraph_urls(paragraph):
    joined = "\n".join(text for _, text in paragraph)
    ends, end = [], 0
    for _, text in paragraph:
        end += len(text) + 1
        ends.append(end)

    def line_at(offset):
        return paragraph[sum(end <= offset for end in ends)][0]

    for match in SPLIT_TARGET.finditer(joined):
        if "\n" in match.group(1) and scheme_of(match.group(1).strip().lstrip("<")):
            yield (line_at(match.start()), unsafe_url(match.group(1)), "unsafe-url")
    for match in SPLIT_DEFINITION.finditer(joined):
        if scheme_of(match.group(1)):
            yield (line_at(match.start()), unsafe_url(match.group(1)), "unsafe-url")


# An SVG image is a document: opened from the site (or linked), its scripts run with the
# site's origin. Images may draw, nothing more. The whole file is read at once, as XML is:
# an attribute may continue on the next line, and its value may hide its scheme behind a
# character reference. SMIL's <set>/<animate> can put a URL in href through to/from/values.
SVG_ELEMENT = re.compile(r"<\s*(script|foreignobject|iframe|object|embed|handler|listener)\b", re.I)
SVG_ATTRIBUTE = re.compile(r"(?<![\w:.-])([A-Za-z_][\w:.-]*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+)")
SVG_URL_ATTRIBUTES = ("href", "src", "to", "from", "values")
# a raster image embedded as data: (common in exported SVGs) cannot run
RASTER = re.compile(r"^data:image/(?:png|jpe?g|gif|webp)[;,]")


def _svg_script_url(name, value):
    value = html.unescape(value)
    for url in value.split(";") if name == "values" else [value]:  # values: a ; list
        scheme = scheme_of(url)
        seen = _INVISIBLE.sub("", url).lower()
        if scheme and not (scheme == "data:" and RASTER.match(seen)):
            return True
    return False


def svg_problems(text):
    """(line number, message, rule) for script in an SVG image, one a line."""
    hits = [(m.start(), m.group(0)) for m in SVG_ELEMENT.finditer(text)]
    for match in SVG_ATTRIBUTE.finditer(text):
        name, value = match.group(1).lower(), match.group(2).strip("\"'")
        local = name.rsplit(":", 1)[-1]
        if local.startswith("on") or (
            local in SVG_URL_ATTRIBUTES and _svg_script_url(local, value)
        ):
            hits.append((match.start(), match.group(0)))
    reported = set()
    for offset, snippet in sorted(hits):
        number = text.count("\n", 0, offset) + 1
        if number in reported:
            continue
        reported.add(number)
        shown = _INVISIBLE.sub(" ", snippet).strip()[:30]
        yield (
            number,
            f"SVG 画像の中にスクリプトがあります（「{shown}」）。"
            "スクリプトのない画像として書き出し直してください",
            "raw-html",
        )
