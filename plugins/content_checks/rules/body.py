"""The body and its links: headings in order, tables with headers and captions, images with
alt text, link texts that say where they go, every internal link answering, and raw HTML
only from the allowlist (html_policy)."""

import posixpath
import re
from urllib.parse import unquote, urlsplit

from .. import encoding, html_policy
from ..sources import INLINE_CODE, MD_LINK, REF_DEFINITION, Violation, plain
from .rule import Rule

VAGUE_LINK_TEXTS = {
    "こちら",
    "ここ",
    "ここをクリック",
    "こちらをクリック",
    "こちらから",
    "ここから",
    "詳しくはこちら",
    "詳細はこちら",
    "詳細",
    "クリック",
    "click here",
    "here",
    "more",
    "read more",
    "link",
}
VAGUE_ALTS = {"写真", "画像", "イメージ", "図", "photo", "image", "img", "picture"}
FILE_NAME = re.compile(r"^[\w\-.]+\.(png|jpe?g|gif|svg|webp|bmp|tiff?)$", re.IGNORECASE)

HTML_LINK = re.compile(r"<a\b[^>]*?\bhref\s*=\s*[\"']([^\"']*)[\"'][^>]*>(.*?)</a>", re.I)
HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
HTML_ATTR = re.compile(r"\b(\w+)\s*=\s*[\"']([^\"']*)[\"']")
ATX_HEADING = re.compile(r"^(#{1,6})(?:\s+|$)")
HTML_HEADING = re.compile(r"<h([1-6])\b", re.I)
TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
CAPTION = re.compile(r"^\s*(表[:：]|Table:)")


def images(source):
    """(line, alt text or None when an <img> has no alt attribute, src) of every image."""
    for number, line in source.lines:
        for is_image, text, target in MD_LINK.findall(INLINE_CODE.sub("", line)):
            if is_image:
                yield number, text, target
        for tag in HTML_IMG.findall(line):
            attributes = dict(HTML_ATTR.findall(tag))
            yield number, attributes.get("alt"), attributes.get("src", "")


def link_texts(source):
    """(line, text) of every link."""
    for number, line in source.lines:
        for is_image, text, _target in MD_LINK.findall(INLINE_CODE.sub("", line)):
            if not is_image:
                yield number, text
        for _target, text in HTML_LINK.findall(line):
            yield number, text


def targets(source):
    """(line, URL) of every link and image."""
    for number, line in source.lines:
        for _is_image, _text, target in MD_LINK.findall(INLINE_CODE.sub("", line)):
            yield number, target
        definition = REF_DEFINITION.match(line)
        if definition:
            yield number, definition.group(2)
        for target, _text in HTML_LINK.findall(line):
            yield number, target
        for tag in HTML_IMG.findall(line):
            yield number, dict(HTML_ATTR.findall(tag)).get("src", "")


class BrokenLink(Rule):
    id = "broken-link"
    description = "internal link or image that does not resolve"

    def check_source(self, source, site):
        for number, target in targets(source):
            yield from self.check_target(source, site, number, target)

    def check_target(self, source, site, number, target):
        """An internal link or image must point at something the build writes."""
        target = target.strip()
        if (
            not target
            or target.startswith(("#", "mailto:", "tel:"))
            or html_policy.scheme_of(target)
        ):
            return  # script and data URLs are the raw HTML policy's (unsafe-url)
        try:
            urlsplit(target)
        except ValueError:  # http://[oops/ : a browser cannot follow it either
            yield source.at(number, f"リンク先 {target} は URL の形になっていません", self.id)
            return
        match = re.match(
            r"^(?:\{(filename|static|attach)\}|\|(filename|static|attach)\|)(.*)$", target
        )
        if match:
            kind = match.group(1) or match.group(2)
            path = unquote(urlsplit(match.group(3)).path)
            if path.startswith("/"):
                relpath = posixpath.normpath(path.lstrip("/"))
            else:
                relpath = posixpath.normpath(
                    posixpath.join(posixpath.dirname(source.relpath), path)
                )
            if kind == "filename" and relpath.endswith(".md"):
                if relpath not in site.live_sources:
                    reason = (
                        "公開されていないページです（下書き・公開前・公開終了）"
                        if (site.content_root / relpath).is_file()
                        else "ファイルがありません"
                    )
                    yield source.at(
                        number, f"リンク先 {relpath} が見つかりません: {reason}", self.id
                    )
            elif not (site.content_root / relpath).is_file():
                yield source.at(number, f"リンク先のファイル {relpath} がありません", self.id)
            return
        if site.siteurl and target.startswith(site.siteurl):
            target = target[len(site.siteurl) :] or "/"
        parts = urlsplit(target)
        if parts.scheme or target.startswith("//"):
            return  # another site
        if parts.path.startswith("/"):
            url_path = parts.path
        else:
            page = site.live_sources.get(source.relpath)
            if page is None:
                return
            base = "/" + posixpath.dirname(page.url.rstrip("/") + "/x")
            url_path = posixpath.normpath(posixpath.join(base, parts.path)) + (
                "/" if parts.path.endswith("/") else ""
            )
        if not site.resolves(url_path):
            yield source.at(number, f"リンク先 {target} はこのサイトにありません", self.id)


def alt_text(alt, src):
    """An image's alt text, stripped, when it is there but is a file name: else None."""
    alt = (alt or "").strip()
    return alt if alt and (FILE_NAME.match(alt) or alt == posixpath.basename(src)) else None


class ImageAltMissing(Rule):
    id = "image-alt-missing"
    description = "image without alt text"

    def check_source(self, source, site):
        for number, alt, _src in images(source):
            if alt is None:  # <img> without the attribute
                yield source.at(number, "画像に代替テキスト（alt）がありません", self.id)
            elif not alt.strip():
                yield source.at(
                    number,
                    "画像に代替テキスト（alt）がありません。画像が伝える内容を書いてください",
                    self.id,
                )


class ImageAltFileName(Rule):
    id = "image-alt-file-name"
    description = "alt text that is a file name"

    def check_source(self, source, site):
        for number, alt, src in images(source):
            name = alt_text(alt, src)
            if name:
                yield source.at(
                    number,
                    f"代替テキスト「{name}」はファイル名です。画像が伝える内容を書いてください",
                    self.id,
                )


class ImageAltVague(Rule):
    id = "image-alt-vague"
    description = "alt text that is only 写真 / 画像"

    def check_source(self, source, site):
        for number, alt, src in images(source):
            alt = (alt or "").strip()
            if alt and not alt_text(alt, src) and alt.lower() in VAGUE_ALTS:
                yield source.at(
                    number,
                    f"代替テキスト「{alt}」だけでは内容が伝わりません。何の{alt}かを書いてください",
                    self.id,
                )


class LinkTextVague(Rule):
    id = "link-text-vague"
    description = "link text such as こちら / ここをクリック"

    def check_source(self, source, site):
        for number, text in link_texts(source):
            words = plain(text)
            if words.lower().rstrip("。.") in VAGUE_LINK_TEXTS:
                yield source.at(
                    number,
                    f"リンクの文字「{words}」では行き先が分かりません。行き先の名前を書いてください",
                    self.id,
                )


class HeadingLevel(Rule):
    id = "heading-level"
    description = "h1 in the body, or a skipped heading level"

    def check_source(self, source, site):
        previous = 1  # the title is the page's h1
        for number, line in source.lines:
            levels = [len(m.group(1)) for m in [ATX_HEADING.match(line)] if m]
            levels += [int(level) for level in HTML_HEADING.findall(line)]
            for level in levels:
                if level == 1:
                    yield source.at(
                        number,
                        "本文の見出しは ## から始めてください（# は題名だけに使います）",
                        self.id,
                    )
                elif level > previous + 1:
                    yield source.at(
                        number,
                        f"見出しのレベルが飛んでいます（h{previous} の次に h{level}）。"
                        f"h{previous + 1} を使ってください",
                        self.id,
                    )
                previous = level


def markdown_tables(source):
    """(header line, header cells, the two lines above it) of each Markdown table."""
    lines = dict(source.lines)
    for number, line in source.lines:
        if TABLE_DELIMITER.match(line) and "|" in lines.get(number - 1, ""):
            header = number - 1
            cells = [c.strip() for c in lines[header].strip().strip("|").split("|")]
            yield header, cells, lines.get(header - 1, "x"), lines.get(header - 2, "")


def html_tables(source):
    """(first line, lower-cased markup) of each <table>."""
    html = "\n".join(line for _, line in source.lines)
    for match in re.finditer(r"<table\b.*?</table>", html, re.I | re.S):
        yield source.lines[html.count("\n", 0, match.start())][0], match.group(0).lower()


class LayoutTable(Rule):
    id = "layout-table"
    description = "table without header cells (used for layout)"

    def check_source(self, source, site):
        for header, cells, _above, _caption in markdown_tables(source):
            if not any(cells):
                yield source.at(
                    header, "表に見出し行がありません。レイアウトのための表は使えません", self.id
                )
        for number, block in html_tables(source):
            if "<th" not in block or 'role="presentation"' in block:
                yield source.at(
                    number, "レイアウトのための表は使えません（見出しセル th が必要です）", self.id
                )


class TableCaption(Rule):
    id = "table-caption"
    description = "table without a caption"

    def check_source(self, source, site):
        for header, _cells, above, caption in markdown_tables(source):
            if above.strip() or not CAPTION.match(caption):
                yield source.at(
                    header,
                    "表にキャプションがありません。表の直前に「表: 表の題名」の段落を置いてください",
                    self.id,
                )
        for number, block in html_tables(source):
            if "<caption" not in block:
                yield source.at(number, "表にキャプション（caption）がありません", self.id)


class HtmlPolicyRule(Rule):
    """A rule of the raw HTML policy (html_policy), on the body and on Summary, which Pelican
    renders, and on each SVG image in content/."""

    def check_source(self, source, site=None):
        lines = list(source.lines)
        if "summary" in source.front.values:
            lines.insert(0, (source.line_of("summary"), source.front.values["summary"]))
        for number, message, rule in html_policy.problems(lines):
            if rule == self.id:
                yield source.at(number, message, rule)

    def check_file(self, path, files):
        if path.suffix.lower() != ".svg":
            return
        try:
            text = encoding.as_browsers_read(path.read_bytes())
        except OSError:
            return  # reported as unreadable only where a page is expected
        for number, message, rule in html_policy.svg_problems(text):
            if rule == self.id:
                yield Violation(files.shown(path), number, message, rule)


class RawHtml(HtmlPolicyRule):
    id = "raw-html"
    description = "HTML outside the allowlist: <script>, <iframe>, <form>, on…= handlers …"


class UnsafeUrl(HtmlPolicyRule):
    id = "unsafe-url"
    description = "a javascript: / vbscript: / data: URL in a link, image or attribute"
