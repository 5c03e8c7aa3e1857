"""ポケットみやぎ: the feature-phone site under /m/, from the same content.

XHTML Basic pages in Shift_JIS with no script and no external CSS, each at most
MOBILE_PAGE_BYTES: long pages are split into numbered parts with 前へ / 次へ links,
tables are linearised, images downscaled to JPEG, links numbered for the keypad.
"""

import io
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import TreeBuilder

from pelican import signals
from pelican.generators import Generator

from hiroba_core import sjis

from .. import settings as plugin_settings
from ..emergency import emergency
from ..parallel_write import parallel_write
from ..settings import Setting

SETTINGS = {
    "MOBILE_PATH": Setting("m", plugin_settings.save_as, "サイト内のフォルダー名（m）"),
    "MOBILE_PAGE_BYTES": Setting(
        10 * 1024,
        lambda v: plugin_settings.positive_int(v) and v >= 2048,
        "2048 以上の整数（バイト）",
    ),
    "MOBILE_IMAGE_WIDTH": Setting(240, plugin_settings.positive_int, "1 以上の整数（ピクセル）"),
    "MOBILE_PER_PAGE": Setting(10, plugin_settings.positive_int, "1 以上の整数"),
    # categories on the top page, in order, after 緊急情報
    "MOBILE_TOP_CATEGORIES": Setting(
        ["bousai", "kanko"], plugin_settings.list_of_text, "分類のスラッグのリスト"
    ),
    # pages /m/ has its own version of (the status inquiry: a Shift_JIS form) or none of
    # (paying taxes: the card and Pay-easy pages need a full browser; 署名検証: uploading files)
    "MOBILE_SKIP_TEMPLATES": Setting(
        [
            "home",
            "search",
            "a11y-results",
            "procedure-status",
            "procedure-pay-tax",
            "procedure-verify",
        ],
        plugin_settings.list_of_text,
        "テンプレート名のリスト",
    ),
}
ACCESS_KEYS = "1234567890"
STATUS_PAGE = "procedures/status/"  # 申請状況の照会, posted to /api/procedures/m/inquiries
KEPT = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "br", "a", "dl", "dt", "dd"}


class MobileBuildError(SystemExit):
    """Printed as path:line, like the content checks; no traceback."""


@dataclass
class Link:
    href: str
    text: str
    key: str = ""


@dataclass
class Part:
    """One handset page: its blocks of XHTML and its place among the parts."""

    blocks: list = field(default_factory=list)
    number: int = 1


# ---------------------------------------------------------------- HTML -> handset XHTML


def _escape(text):
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class FragmentParser(HTMLParser):
    """An article's HTML (Markdown's well-formed output) as an ElementTree fragment.

    The tree html5lib.parseFragment made here before, in a quarter of its CPU time: html5lib was
    two thirds of /m/'s build (docs/benchmarks.md). Comments are kept, as html5lib kept them.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.builder = TreeBuilder(insert_comments=True)
        self.builder.start("fragment", {})
        self.open = []

    def handle_starttag(self, tag, attrs):
        self.builder.start(tag, {name: value or "" for name, value in attrs})
        if tag in VOID:
            self.builder.end(tag)
        else:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.open:  # a stray end tag is dropped, an unclosed one closed with it
            while self.open:
                opened = self.open.pop()
                self.builder.end(opened)
                if opened == tag:
                    break

    def handle_data(self, data):
        self.builder.data(data)

    def handle_comment(self, data):
        self.builder.comment(data)

    def fragment(self, html):
        self.feed(html)
        self.close()
        while self.open:
            self.builder.end(self.open.pop())
        self.builder.end("fragment")
        return self.builder.close()


class Simplifier:
    """Turns an article's HTML into a list of small XHTML Basic blocks."""

    def __init__(self, mobile_url, images):
        self.mobile_url = mobile_url  # site URL path -> handset URL path, or None
        self.images = images  # src -> (handset src, width, height), made on demand

    def blocks(self, html):
        fragment = FragmentParser().fragment(html)
        out = []
        if fragment.text and fragment.text.strip():
            out.append(f"<p>{_escape(fragment.text.strip())}</p>")
        for element in fragment:
            out.extend(self._block(element))
            if element.tail and element.tail.strip():
                out.append(f"<p>{_escape(element.tail.strip())}</p>")
        return [b for b in out if b]

    def _block(self, element):
        tag = element.tag
        if tag == "table":
            return self._table(element)
        if tag in ("ul", "ol"):
            # a long list is split item by item, so each item is its own block
            items = [f"<li>{self._inline(li)}</li>" for li in element if li.tag == "li"]
            return (
                [f"<{tag}>{item}</{tag}>" for item in items]
                if tag == "ul"
                else [
                    f"<p>{n}. {self._inline(li)}</p>"
                    for n, li in enumerate(element, 1)
                    if li.tag == "li"
                ]
            )
        if tag in ("h1", "h2"):
            return [f"<h2>{self._inline(element)}</h2>"]
        if tag in ("h3", "h4", "h5", "h6"):
            return [f"<h3>{self._inline(element)}</h3>"]
        if tag in ("figure", "div", "section", "blockquote", "details"):
            return [b for child in element for b in self._block(child)] + (
                [f"<p>{_escape(element.text.strip())}</p>"]
                if element.text and element.text.strip()
                else []
            )
        if tag == "dl":
            return [f"<p>{self._inline(child)}</p>" for child in element]
        if tag == "hr":
            return ["<hr />"]
        if tag in ("pre", "p", "figcaption", "summary"):
            return [f"<p>{self._inline(element)}</p>"]
        return [f"<p>{self._inline(element)}</p>"] if "".join(element.itertext()).strip() else []

    def _table(self, table):
        caption = table.find("caption")
        rows = [row for row in table.iter("tr")]
        header = [self._inline(cell) for cell in rows[0]] if rows else []
        blocks = (
            [f"<p><strong>表：{self._inline(caption)}</strong></p>"] if caption is not None else []
        )
        for row in rows[1:]:
            cells = [self._inline(cell) for cell in row]
            lines = [f"{h}：{c}" if h else c for h, c in zip(header, cells, strict=False)]
            blocks.append("<p>" + "<br />".join(lines) + "</p>")
        return blocks

    def _inline(self, element):
        parts = [_escape(element.text or "")]
        for child in element:
            parts.append(self._inline_child(child))
            parts.append(_escape(child.tail or ""))
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def _inline_child(self, child):
        tag = child.tag
        if tag == "a":
            href = self.mobile_url(child.get("href", ""))
            text = self._inline(child)
            return f'<a href="{_escape(href)}">{text}</a>' if href else text
        if tag == "img":
            made = self.images(child.get("src", ""))
            alt = _escape(child.get("alt", ""))
            if not made:
                return alt
            src, width, height = made
            return f'<img src="{src}" alt="{alt}" width="{width}" height="{height}" />'
        if tag == "br":
            return "<br />"
        if tag in ("strong", "em"):
            return f"<{tag}>{self._inline(child)}</{tag}>"
        return self._inline(child)


# ---------------------------------------------------------------- the generator


class MobileGenerator(Generator):
    """Writes /m/ in generate_output, once every other generator has filled the context."""

    WRITES_IN_LANES = True  # page by page, shared with the other writing process

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.root = self.settings["MOBILE_PATH"]
        self.written = {}

    # URLs ------------------------------------------------------------
    def url(self, path):
        return f"/{self.root}/{path}"

    def mobile_url(self, href):
        """The handset URL for a link in content: pages we render go to /m/, others stay."""
        siteurl = self.settings["SITEURL"]
        if href.startswith(siteurl):
            href = href[len(siteurl) :] or "/"
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto", "tel") or href.startswith("//"):
            return href
        if not parts.path.startswith("/"):
            return ""  # relative links inside an article have no handset page
        path = parts.path.lstrip("/")
        if path in self.page_urls:
            return self.url(path)
        if path in ("", "news/"):
            return self.url(path)
        return href

    def image(self, src):
        """Downscale an image for handsets (JPEG, at most MOBILE_IMAGE_WIDTH wide)."""
        from PIL import Image

        parts = urlsplit(src)
        path = parts.path
        siteurl_path = urlsplit(self.settings["SITEURL"]).path
        if parts.netloc and src.startswith(self.settings["SITEURL"]):
            path = path[len(siteurl_path) :]
        source = Path(self.settings["PATH"]) / path.lstrip("/")
        if parts.netloc and not src.startswith(self.settings["SITEURL"]) or not source.is_file():
            return None
        if source.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif"):
            return None
        name = posixpath.splitext(path.lstrip("/"))[0].replace("/", "-") + ".jpg"
        target = Path(self.output_path) / self.root / "images" / name
        with Image.open(source) as image:
            image = image.convert("RGB")
            width = min(self.settings["MOBILE_IMAGE_WIDTH"], image.width)
            height = round(image.height * width / image.width)
            target.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            image.resize((width, height), Image.LANCZOS).save(buffer, "JPEG", quality=70)
            target.write_bytes(buffer.getvalue())
        return self.url(f"images/{name}"), width, height

    # writing ----------------------------------------------------------
    def render(self, save_as, template, source=None, **context):
        html = self.get_template(f"mobile/{template.removesuffix('.html')}").render(
            **self.context,
            MOBILE_ROOT=f"/{self.root}/",
            EMERGENCY_BANNER=self.banner,
            EMERGENCY_BANNER_TOP=self.banner_top,
            **context,
        )
        html = re.sub(r"\n\s*\n", "\n", html).lstrip()
        try:
            data = sjis.encode(html)
        except sjis.Unencodable as error:
            raise MobileBuildError(self._where(source, error)) from None
        target = Path(self.output_path) / self.root / save_as
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return len(data)

    def _where(self, source, error):
        if source is None:
            return f"{self.root}: {error}"
        path = Path(source.source_path)
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if error.char in sjis.portable(line):
                return f"{path}:{number}: {error}"
        return f"{path}:1: {error}"

    def generate_output(self, writer):
        self.context.setdefault("EMERGENCIES", [])
        live = self.context.get("EMERGENCIES", [])
        self.banner = emergency.banner_html(self.env, live, "mobile", encode=sjis.encode)
        self.banner_top = emergency.banner_html(self.env, live, "mobile-top", encode=sjis.encode)
        articles = [a for a in self.context["articles"]]
        pages = [
            p
            for p in self.context["pages"]
            if getattr(p, "template", "page") not in self.settings["MOBILE_SKIP_TEMPLATES"]
            and p.url.endswith("/")  # not the not-found page (404.html) nor the home page
        ]
        self.page_urls = {item.url for item in articles + pages}
        simplifier = Simplifier(self.mobile_url, self.image)
        for item in articles + pages:
            if not parallel_write.mine(self.settings):
                continue  # the other lane writes it
            try:
                self.write_item(item, simplifier)
            except sjis.Unencodable as error:
                raise MobileBuildError(self._where(item, error)) from None
        if parallel_write.mine(self.settings):
            self.write_lists(articles)
            self.write_top(articles)

    def write_item(self, item, simplifier):
        blocks = simplifier.blocks(item.content)
        poster = getattr(item, "poster", None)
        if poster:
            made = self.image(f"/media/files/{poster}")
            if made:
                src, width, height = made
                blocks.insert(
                    0,
                    f'<p><img src="{src}" alt="{_escape(item.title)}（映像の一場面）" width="{width}" height="{height}" /></p>',
                )
        department = self.settings["DEPARTMENTS"].get(getattr(item, "department", ""), {})
        budget = self.settings["MOBILE_PAGE_BYTES"]
        # the template around the body, measured with margin, and the reserved banner region
        overhead = 2600 + emergency.REGION_BYTES["mobile"]
        parts = split(blocks, budget - overhead)
        base = item.url
        for part in parts:
            save_as = f"{base}index.html" if part.number == 1 else f"{base}{part.number}/index.html"
            size = self.render(
                save_as,
                "article.html",
                source=item,
                item=item,
                body="\n".join(part.blocks),
                part=part.number,
                parts=len(parts),
                previous=self.url(base if part.number == 2 else f"{base}{part.number - 1}/")
                if part.number > 1
                else "",
                next=self.url(f"{base}{part.number + 1}/") if part.number < len(parts) else "",
                department=department,
                defaults=self.settings["DEPARTMENTS"]["defaults"],
                section=self.settings.get("SECTIONS", {}).get(
                    getattr(item, "section", ""), ("", "")
                ),
            )
            if size > budget:
                raise MobileBuildError(
                    f"{item.source_path}:1: 携帯版のページ {self.root}/{save_as} が {size} バイトで、上限 {budget} バイトを超えます"
                )

    def write_lists(self, articles):
        per_page = self.settings["MOBILE_PER_PAGE"]
        lists = [
            ("news/", "お知らせ", [a for a in articles if a.metadata.get("section") == "news"])
        ]
        for category, items in sorted(self.context["categories"], key=lambda c: c[0].slug):
            lists.append((f"category/{category.slug}/", category.name, list(items)))
        self.list_urls = {}
        for base, title, items in lists:
            chunks = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]
            for number, chunk in enumerate(chunks, 1):
                save_as = f"{base}index.html" if number == 1 else f"{base}page/{number}/index.html"
                self.render(
                    save_as,
                    "list.html",
                    title=title,
                    items=chunk,
                    part=number,
                    parts=len(chunks),
                    previous=self.url(base if number == 2 else f"{base}page/{number - 1}/")
                    if number > 1
                    else "",
                    next=self.url(f"{base}page/{number + 1}/") if number < len(chunks) else "",
                )
            self.list_urls[base] = (title, len(items))

    def write_top(self, articles):
        categories = dict((c.slug, (c, items)) for c, items in self.context["categories"])
        sections = []
        for slug in self.settings["MOBILE_TOP_CATEGORIES"]:
            if slug in categories:
                category, items = categories[slug]
                sections.append((category.name, f"category/{slug}/", items[:3]))
        notices = [a for a in articles if a.metadata.get("section") == "news"]
        sections.append(("お知らせ", "news/", notices[:5]))
        self.render(
            "index.html",
            "index.html",
            sections=sections,
            procedures=categories.get("tetsuzuki"),
            status_url=self.url(STATUS_PAGE),
        )
        # 申請状況の照会: a form the procedures API answers in Shift_JIS
        self.render(f"{STATUS_PAGE}index.html", "status.html")


def split(blocks, budget):
    """Group blocks into parts of at most `budget` encoded bytes (a block never splits)."""
    parts, current, size = [], Part(), 0
    for block in blocks:
        length = len(sjis.encode(block)) if block else 0
        if current.blocks and size + length > budget:
            parts.append(current)
            current, size = Part(number=len(parts) + 1), 0
        current.blocks.append(block)
        size += length
    parts.append(current)
    return parts


def access_keys(links):
    """Number links for the keypad: [1] … [9], [0]; further links get no key."""
    return [
        Link(link.href, link.text, ACCESS_KEYS[i] if i < 10 else "") for i, link in enumerate(links)
    ]


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS)
    filters = pelican.settings.setdefault("JINJA_FILTERS", {})
    filters["access_keys"] = access_keys
    filters["tel"] = lambda phone: "tel:" + re.sub(r"\D", "", phone)


def get_generators(pelican):
    return MobileGenerator


def register():
    signals.initialized.connect(initialized)
    signals.get_generators.connect(get_generators)
