"""Content checks: the build gate every Markdown file passes before anything is written.

Each rule reads the source text (so it can name `path:line`) and, where it must, what the
generators know about the site (output paths, live content). A violation stops the build
with one `path:line: message [rule]` line each and a non-zero exit, never a traceback.
"""

import fnmatch
import posixpath
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown.extensions.fenced_code import FencedBlockPreprocessor
from pelican import signals

from hiroba_core.content import model

from . import catalogue_check, encoding, html_policy

# Every rule the checks apply, by the id printed at the end of each message.
RULES = {
    "unknown-field": "front matter key that the content model does not know",
    "missing-field": "required front matter key missing",
    "bad-date": "date that cannot be read, or expires before it is published",
    "bad-value": "value outside its registry or format (slug, department, category, tag, ...)",
    "duplicate-slug": "two files with the same URL",
    "duplicate-output": "two things written to the same output file",
    "broken-link": "internal link or image that does not resolve",
    "image-alt-missing": "image without alt text",
    "image-alt-file-name": "alt text that is a file name",
    "image-alt-vague": "alt text that is only 写真 / 画像",
    "heading-level": "h1 in the body, or a skipped heading level",
    "machine-dependent-character": "機種依存文字 (①, ㈱, Ⅳ, ㌔ ...)",
    "half-width-katakana": "半角カタカナ",
    "full-width-alphanumeric": "全角英数字",
    "space-in-word": "spaces inside a Japanese word",
    "link-text-vague": "link text such as こちら / ここをクリック",
    "date-format": "date written 2026/1/2 instead of 2026年1月2日",
    "layout-table": "table without header cells (used for layout)",
    "table-caption": "table without a caption",
    "missing-translation": "a page of a mandatory category missing in a mandatory language",
    "easy-sentence-length": "やさしい日本語: sentence over 30 characters (warning) or 50 (error)",
    "easy-kanji": "やさしい日本語: too many kanji in one sentence (over 10 warns, over 20 fails)",
    "easy-ending": "やさしい日本語: sentence not ending in です / ます",
    "easy-double-negative": "やさしい日本語: double negative",
    "easy-honorific": "やさしい日本語: honorific or humble form",
    "raw-html": "HTML outside the allowlist: <script>, <iframe>, <form>, on…= handlers …",
    "unsafe-url": "a javascript: / vbscript: / data: URL in a link, image or attribute",
    "encoding": "file not saved as UTF-8 (Shift_JIS, EUC-JP, UTF-16)",
    "not-text": "binary or other non-text file where Markdown is expected",
    "stray-file": "file in a page folder that is not published (warning)",
}


class ContentCheckFailed(SystemExit):
    """Raised after the violations are printed; SystemExit keeps Pelican from a traceback."""


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    message: str
    rule: str
    warning: bool = False

    def __str__(self):
        kind = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {kind}{self.message} [{self.rule}]"

    def github(self):
        """The workflow command GitHub Actions shows on the file's line in a pull request."""

        def escape(text, properties=False):
            text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            return text.replace(":", "%3A").replace(",", "%2C") if properties else text

        level = "warning" if self.warning else "error"
        where = f"file={escape(self.path, True)},line={self.line},title={escape(self.rule, True)}"
        return f"::{level} {where}::{escape(self.message)} [{self.rule}]"


def _shown(path):
    """A path as an editor sees it: relative to the working folder when inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


@dataclass
class Source:
    """One content file as written: its front matter and body lines, with line numbers."""

    path: Path
    relpath: str  # relative to the content root, with forward slashes
    kind: str  # "article" or "page"
    section: str
    front: model.FrontMatter
    lines: list  # [(line number, text)] of the body outside code blocks

    @property
    def shown(self):
        return _shown(self.path)

    def at(self, line, message, rule, warning=False):
        assert rule in RULES, rule
        return Violation(self.shown, line, message, rule, warning)

    @property
    def lang(self):
        return self.front.values.get("lang", "ja")

    def line_of(self, key):
        return self.front.lines.get(key, 1)


@dataclass
class Site:
    """What the build knows about the whole site, for the rules that need more than one file."""

    content_root: Path
    static_paths: list
    siteurl: str
    departments: dict
    categories: dict
    tags: dict
    languages: tuple
    templates: set
    mandatory: dict = field(default_factory=dict)  # category slug -> "all" or [languages]
    live_sources: dict = field(default_factory=dict)  # relpath -> content object
    outputs: Counter = field(default_factory=Counter)  # save_as -> times written
    output_owner: dict = field(default_factory=dict)  # save_as -> relpath of a source

    def resolves(self, url_path):
        path = url_path.lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        path = unquote(path)
        first, _, rest = path.partition("/")
        if first in self.languages[1:] and rest:
            # every page of the site has a version in each language subsite (see multilingual)
            return rest in self.outputs or path in self.outputs
        return path in self.outputs


# ---------------------------------------------------------------- reading the sources


def code_lines(text, body_start):
    """Line numbers of the fenced code blocks in a file's text, found exactly as Python-Markdown
    finds them (fence at the start of a line, closed by the same fence). A looser guess would
    skip the checks on lines that are published as HTML: an unclosed or indented ``` is not
    code, and a <script> after it would reach the page unchecked."""
    lines = text.split("\n")
    body = "\n".join(lines[body_start - 1 :]).expandtabs(4) + "\n"  # as Markdown normalises
    found = set()
    for block in FencedBlockPreprocessor.FENCED_BLOCK_RE.finditer(body):
        first = body.count("\n", 0, block.start()) + body_start
        found.update(range(first, body.count("\n", 0, block.end()) + body_start + 1))
    return found


def read_source(path, content_root, article_paths):
    relpath = path.relative_to(content_root).as_posix()
    text = encoding.read_text(path)  # BOM and CRLF read as plain UTF-8
    front = model.read_front_matter(text)
    top = relpath.split("/", 1)[0]
    kind = "article" if top in article_paths else "page"
    parts = relpath.split("/")
    section = parts[1] if top == "pages" and len(parts) > 2 else top
    code = code_lines(text, front.body_start)
    # "\n" only: splitlines() would also break at U+2028 or a form feed pasted from a PDF,
    # and the line numbers would no longer be those the editor's editor shows
    body = [
        (number, line)
        for number, line in enumerate(text.split("\n"), start=1)
        if number >= front.body_start and number not in code
    ]
    return Source(path, relpath, kind, section, front, body)


def find_sources(content_root, article_paths, page_paths):
    for top in (*article_paths, *page_paths):
        folder = content_root / top
        if folder.is_dir():
            for path in sorted(folder.rglob("*.md")):
                if path.is_file() and "files" not in path.relative_to(folder).parts:
                    try:
                        yield read_source(path, content_root, article_paths)
                    except encoding.NotUtf8:
                        continue  # reported by check_files, which runs before any reading


# ---------------------------------------------------------------- the files themselves

# Files the build reads as text, which must therefore be UTF-8 (WebVTT is UTF-8 by definition;
# the registries are TOML, which is UTF-8 too).
TEXT_SUFFIXES = (".md", ".vtt", ".toml")


def _check_svg(path):
    try:
        text = encoding.as_browsers_read(path.read_bytes())
    except OSError:
        return  # reported as unreadable only where a page is expected
    for number, message, rule in html_policy.svg_problems(text):
        yield Violation(_shown(path), number, message, rule)


def check_files(content_root, article_paths, page_paths, static_paths, ignore=()):
    """Before anything reads content/: every text file is UTF-8, nothing stray in page folders.

    Runs first (at `initialized`) because other plugins read sources before the checks do.
    """
    page_folders = tuple(f"{top}/" for top in (*article_paths, *page_paths))
    static = tuple(f"{top.rstrip('/')}/" for top in static_paths)
    for path in sorted(content_root.rglob("*")):
        relpath = path.relative_to(content_root).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in relpath.split("/")):
            continue
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in ignore):
            continue  # IGNORE_FILES: Pelican does not read them either
        if path.suffix.lower() in TEXT_SUFFIXES:
            try:
                encoding.read_text(path)
            except encoding.NotUtf8 as problem:
                rule = "encoding" if problem.encoding else "not-text"
                yield Violation(_shown(path), 1, problem.message, rule)
        elif path.suffix.lower() == ".svg":
            yield from _check_svg(path)
        elif relpath.startswith(page_folders) and not relpath.startswith(static):
            if "files" in relpath.split("/")[1:-1]:
                continue  # media/files/ and the like are published as files
            yield Violation(
                _shown(path),
                1,
                "このファイルは公開されません（ページは .md で書きます）。画像は content/images/、"
                "公開する資料は content/documents/ に置いてください",
                "stray-file",
                warning=True,
            )


# ---------------------------------------------------------------- text rules

JAPANESE = "[\u3041-\u30ff\u3400-\u9fff々〆ヶ]"
# three or more single characters separated by spaces: 「お 知 ら せ」 (a name such as
# 「宮城 太郎」 has one space between words and is fine)
SPACED_WORD = re.compile(f"(?<!{JAPANESE}){JAPANESE}(?:[ \u3000]{JAPANESE}(?!{JAPANESE})){{2,}}")
# NEC/IBM extensions of Shift_JIS and other characters that differ between platforms
MACHINE_DEPENDENT = re.compile(
    "[\u2460-\u24ff\u2776-\u2793\u2160-\u2188\u3200-\u32ff\u3300-\u33ff\u2116\u2121\u301d\u301f]"
)
# What each one is written as instead: the check's hint and `make fix` (fix.py) use this.
UNITS = {"㎡": "平方メートル", "㎥": "立方メートル", "㎠": "平方センチメートル", "㏍": "株式会社"}


def machine_dependent_replacement(char):
    """The portable spelling of a 機種依存文字 (① → (1), ㈱ → （株）, Ⅳ → 4, ㌔ → キロ), or
    None when there is none that keeps the meaning (〝 〟)."""
    if char in UNITS:
        return UNITS[char]
    name = unicodedata.name(char, "")
    if "ROMAN NUMERAL" in name:
        return str(int(unicodedata.numeric(char)))
    if "CIRCLED" in name and ("NUMBER" in name or "DIGIT" in name):
        return f"({int(unicodedata.numeric(char))})"
    text = unicodedata.normalize("NFKC", char)
    if text == char:
        return None
    if "CIRCLED" in name:  # ㊤ ㋐: the circle marks the character, as brackets do
        text = f"({text})"
    if text.startswith("(") and text.endswith(")") and not text[1:-1].isascii():
        text = f"（{text[1:-1]}）"  # ㈱ → （株）: Japanese inside, Japanese brackets
    return text


HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")
FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
SLASH_DATE = re.compile(r"(?<![\d/])(\d{4}|\d{2})([/.])(\d{1,2})\2(\d{1,2})(?![\d/])")
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

INLINE_CODE = re.compile(r"(`+).*?\1")
MD_LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
REF_DEFINITION = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_LINK = re.compile(r"<a\b[^>]*?\bhref\s*=\s*[\"']([^\"']*)[\"'][^>]*>(.*?)</a>", re.I)
HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
HTML_ATTR = re.compile(r"\b(\w+)\s*=\s*[\"']([^\"']*)[\"']")
HTML_TAG = re.compile(r"<[^>]*>")
ATX_HEADING = re.compile(r"^(#{1,6})(?:\s+|$)")
HTML_HEADING = re.compile(r"<h([1-6])\b", re.I)
TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
CAPTION = re.compile(r"^\s*(表[:：]|Table:)")


def prose(line):
    """The words a reader sees on a line: without code, link targets or markup."""
    if REF_DEFINITION.match(line):
        return ""
    line = INLINE_CODE.sub(" ", line)
    line = MD_LINK.sub(lambda m: f" {m.group(2)} ", line)
    return HTML_TAG.sub(" ", line)


def plain(markup):
    return re.sub(r"\s+", " ", HTML_TAG.sub("", INLINE_CODE.sub("", markup))).strip()


def character_rules(text):
    """(message, rule) for each character problem in a piece of prose."""
    for char in dict.fromkeys(MACHINE_DEPENDENT.findall(text)):
        hint = machine_dependent_replacement(char)
        how = f"「{hint}」のように書いてください" if hint else "別の文字で書いてください"
        yield (
            f"機種依存文字「{char}」は環境によって表示できません。{how}",
            "machine-dependent-character",
        )
    for run in HALF_WIDTH_KANA.findall(text):
        yield (
            f"半角カタカナ「{run}」は使えません。全角で「{unicodedata.normalize('NFKC', run)}」と書いてください",
            "half-width-katakana",
        )
    for run in FULL_WIDTH_ALNUM.findall(text):
        yield (
            f"全角英数字「{run}」は読み上げや検索で問題になります。半角で「{unicodedata.normalize('NFKC', run)}」と書いてください",
            "full-width-alphanumeric",
        )
    for match in SPACED_WORD.finditer(text):
        yield (
            f"語の途中に空白があります（「{match.group(0)}」）。読み上げソフトが一字ずつ読んでしまいます",
            "space-in-word",
        )
    for match in SLASH_DATE.finditer(text):
        year, _, month, day = match.groups()
        yield (
            f"日付「{match.group(0)}」は「{year}年{int(month)}月{int(day)}日」のように書いてください",
            "date-format",
        )


def alt_problem(alt, src):
    alt = alt.strip()
    if not alt:
        return (
            "画像に代替テキスト（alt）がありません。画像が伝える内容を書いてください",
            "image-alt-missing",
        )
    if FILE_NAME.match(alt) or alt == posixpath.basename(src):
        return (
            f"代替テキスト「{alt}」はファイル名です。画像が伝える内容を書いてください",
            "image-alt-file-name",
        )
    if alt.lower() in VAGUE_ALTS:
        return (
            f"代替テキスト「{alt}」だけでは内容が伝わりません。何の{alt}かを書いてください",
            "image-alt-vague",
        )
    return None


def link_text_problem(text):
    words = plain(text)
    if words.lower().rstrip("。.") in VAGUE_LINK_TEXTS:
        return (
            f"リンクの文字「{words}」では行き先が分かりません。行き先の名前を書いてください",
            "link-text-vague",
        )
    return None


# ---------------------------------------------------------------- the rules


def check_front_matter(source, site):
    values, front = source.front.values, source.front
    for key in values:
        if key not in model.FIELDS:
            known = ", ".join(sorted(model.FIELDS))
            yield source.at(
                front.lines[key], f"未知の項目「{key}」です（使える項目: {known}）", "unknown-field"
            )
    required = list(model.REQUIRED[source.kind])
    if source.section == "media":
        required += ["video", "captions"]
    if source.section == "municipalities" and "save_as" not in values:
        required.append("kana")
    for key in required:
        if not values.get(key):
            yield source.at(
                1,
                f"必須項目「{key.capitalize()}」（{model.FIELDS[key]}）がありません",
                "missing-field",
            )
    for key in model.DATE_FIELDS:
        if values.get(key):
            try:
                model.parse_datetime(values[key])
            except model.BadDate as error:
                yield source.at(front.lines[key], str(error), "bad-date")
    try:
        window = model.window_of(values)
        if window.publish_at and window.expires_at and window.expires_at <= window.publish_at:
            yield source.at(
                front.lines["expires_at"], "Expires_at が Publish_at より前です", "bad-date"
            )
    except model.BadDate:
        pass  # reported above
    yield from _check_values(source, site)
    for key in ("title", "summary", "contact", "area"):
        for message, rule in character_rules(values.get(key, "")):
            yield source.at(source.line_of(key), message, rule)


def _check_values(source, site):
    values = source.front.values

    def bad(key, message):
        return source.at(source.line_of(key), message, "bad-value")

    if values.get("slug") and not model.SLUG_RE.match(values["slug"]):
        yield bad("slug", f"Slug「{values['slug']}」は英小文字・数字・ハイフンで書いてください")
    if values.get("status") and values["status"] not in model.STATUSES:
        yield bad("status", f"Status は {', '.join(model.STATUSES)} のどれかです")
    if values.get("department") and values["department"] not in site.departments:
        yield bad(
            "department",
            f"担当課「{values['department']}」は registry/departments.toml にありません"
            f"（使える値: {', '.join(site.departments)}）",
        )
    if values.get("category") and values["category"] not in site.categories:
        yield bad(
            "category",
            f"分類「{values['category']}」は registry/taxonomy.toml にありません"
            f"（使える値: {'、'.join(site.categories)}）",
        )
    for tag in filter(None, (t.strip() for t in values.get("tags", "").split(","))):
        if tag not in site.tags:
            yield bad(
                "tags",
                f"タグ「{tag}」は registry/taxonomy.toml にありません"
                f"（使える値: {'、'.join(site.tags)}）",
            )
    if values.get("lang") and values["lang"] not in site.languages:
        yield bad(
            "lang", f"言語「{values['lang']}」は設定にありません（{', '.join(site.languages)}）"
        )
    if values.get("kana") and not model.KANA_RE.match(values["kana"]):
        yield bad("kana", f"Kana「{values['kana']}」はひらがなで書いてください")
    if values.get("template") and values["template"] not in site.templates:
        yield bad("template", f"テンプレート「{values['template']}」はテーマにありません")
    if values.get("emergency"):
        if values["emergency"].lower() not in ("true", "false"):
            yield bad("emergency", "Emergency は true か false です")
        elif model.is_true(values["emergency"]):
            if values.get("severity") not in model.SEVERITIES:
                given = f"「{values['severity']}」は使えません" if values.get("severity") else ""
                yield bad(
                    "severity",
                    f"緊急情報には Severity（{', '.join(model.SEVERITIES)}）が必要です{given}",
                )
            if not values.get("area"):
                yield bad("emergency", "緊急情報には Area（対象地域）が必要です")
    for key in ("video", "captions", "poster"):
        if values.get(key):
            media = site.content_root / "media" / "files" / values[key]
            if not media.is_file():
                yield bad(key, f"ファイル content/media/files/{values[key]} がありません")
    if values.get("captions") and not values["captions"].endswith(".vtt"):
        yield bad("captions", "字幕は WebVTT（.vtt）で用意してください")
    if model.is_consultation(values):
        try:
            model.consultation_of(values)
        except model.BadConsultation as error:
            key = next(
                (k for k in ("questions", "personal_fields", "kind") if k in str(error).lower()),
                "opens_at",
            )
            yield bad(key, str(error))
        except model.BadDate:
            pass  # reported by check_front_matter


def check_body(source, site):
    yield from _check_headings(source)
    yield from _check_tables(source)
    for number, line in source.lines:
        for message, rule in character_rules(prose(line)):
            yield source.at(number, message, rule)
        for is_image, text, target in MD_LINK.findall(INLINE_CODE.sub("", line)):
            problem = alt_problem(text, target) if is_image else link_text_problem(text)
            if problem:
                yield source.at(number, *problem)
            yield from _check_target(source, site, number, target)
        definition = REF_DEFINITION.match(line)
        if definition:
            yield from _check_target(source, site, number, definition.group(2))
        for target, text in HTML_LINK.findall(line):
            problem = link_text_problem(text)
            if problem:
                yield source.at(number, *problem)
            yield from _check_target(source, site, number, target)
        for tag in HTML_IMG.findall(line):
            attributes = dict(HTML_ATTR.findall(tag))
            if "alt" not in attributes:
                yield source.at(
                    number, "画像に代替テキスト（alt）がありません", "image-alt-missing"
                )
            else:
                problem = alt_problem(attributes["alt"], attributes.get("src", ""))
                if problem:
                    yield source.at(number, *problem)
            yield from _check_target(source, site, number, attributes.get("src", ""))


def check_html(source):
    """The raw HTML policy (html_policy) on the body and on Summary, which Pelican renders."""
    lines = list(source.lines)
    if "summary" in source.front.values:
        lines.insert(0, (source.line_of("summary"), source.front.values["summary"]))
    for number, message, rule in html_policy.problems(lines):
        yield source.at(number, message, rule)


def _check_headings(source):
    previous = 1  # the title is the page's h1
    for number, line in source.lines:
        levels = [len(m.group(1)) for m in [ATX_HEADING.match(line)] if m]
        levels += [int(level) for level in HTML_HEADING.findall(line)]
        for level in levels:
            if level == 1:
                yield source.at(
                    number,
                    "本文の見出しは ## から始めてください（# は題名だけに使います）",
                    "heading-level",
                )
            elif level > previous + 1:
                yield source.at(
                    number,
                    f"見出しのレベルが飛んでいます（h{previous} の次に h{level}）。"
                    f"h{previous + 1} を使ってください",
                    "heading-level",
                )
            previous = level


def _check_tables(source):
    lines = dict(source.lines)
    for number, line in source.lines:
        if TABLE_DELIMITER.match(line) and "|" in lines.get(number - 1, ""):
            header = number - 1
            cells = [c.strip() for c in lines[header].strip().strip("|").split("|")]
            if not any(cells):
                yield source.at(
                    header,
                    "表に見出し行がありません。レイアウトのための表は使えません",
                    "layout-table",
                )
            if lines.get(header - 1, "x").strip() or not CAPTION.match(lines.get(header - 2, "")):
                yield source.at(
                    header,
                    "表にキャプションがありません。表の直前に「表: 表の題名」の段落を置いてください",
                    "table-caption",
                )
    html = "\n".join(line for _, line in source.lines)
    for match in re.finditer(r"<table\b.*?</table>", html, re.I | re.S):
        number = source.lines[html.count("\n", 0, match.start())][0]
        block = match.group(0).lower()
        if "<th" not in block or 'role="presentation"' in block:
            yield source.at(
                number,
                "レイアウトのための表は使えません（見出しセル th が必要です）",
                "layout-table",
            )
        if "<caption" not in block:
            yield source.at(number, "表にキャプション（caption）がありません", "table-caption")


def _check_target(source, site, number, target):
    """An internal link or image must point at something the build writes."""
    target = target.strip()
    if not target or target.startswith(("#", "mailto:", "tel:")) or html_policy.scheme_of(target):
        return  # script and data URLs are the raw HTML policy's (unsafe-url)
    try:
        urlsplit(target)
    except ValueError:  # http://[oops/ : a browser cannot follow it either
        yield source.at(number, f"リンク先 {target} は URL の形になっていません", "broken-link")
        return
    match = re.match(r"^(?:\{(filename|static|attach)\}|\|(filename|static|attach)\|)(.*)$", target)
    if match:
        kind = match.group(1) or match.group(2)
        path = unquote(urlsplit(match.group(3)).path)
        if path.startswith("/"):
            relpath = posixpath.normpath(path.lstrip("/"))
        else:
            relpath = posixpath.normpath(posixpath.join(posixpath.dirname(source.relpath), path))
        if kind == "filename" and relpath.endswith(".md"):
            if relpath not in site.live_sources:
                reason = (
                    "公開されていないページです（下書き・公開前・公開終了）"
                    if (site.content_root / relpath).is_file()
                    else "ファイルがありません"
                )
                yield source.at(
                    number, f"リンク先 {relpath} が見つかりません: {reason}", "broken-link"
                )
        elif not (site.content_root / relpath).is_file():
            yield source.at(number, f"リンク先のファイル {relpath} がありません", "broken-link")
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
        yield source.at(number, f"リンク先 {target} はこのサイトにありません", "broken-link")


def check_duplicates(sources, site):
    seen = {}
    for source in sources:
        values = source.front.values
        if not values.get("slug"):
            continue
        key = values.get("save_as") or (
            source.section,
            values["slug"],
            values.get("lang", site.languages[0]),
        )
        if key in seen:
            yield source.at(
                source.line_of("slug"),
                f"Slug「{values['slug']}」は {seen[key].shown} と同じです（同じURLになります）",
                "duplicate-slug",
            )
        else:
            seen[key] = source
    by_relpath = {source.relpath: source for source in sources}
    for save_as, count in sorted(site.outputs.items()):
        if count > 1:
            owner = by_relpath.get(site.output_owner.get(save_as))
            if owner is not None:
                yield owner.at(
                    owner.line_of("slug"),
                    f"出力先 {save_as} に {count} 個のページが書き込まれます",
                    "duplicate-output",
                )
            else:
                yield Violation(
                    str(site.content_root),
                    1,
                    f"出力先 {save_as} が重複しています",
                    "duplicate-output",
                )


EASY_ENDING = re.compile(
    r"(です|ます|ません|ました|でした|ください|ましょう|でしょう|ませんか|ますか|ですか)$"
)
DOUBLE_NEGATIVE = re.compile(
    r"(ないことはない|ないこともない|なくはない|なくもない|ないわけではない|ないわけにはいかない"
    r"|ざるを得ない|ざるをえない|ないではいられない)"
)
HONORIFIC = re.compile(
    r"(いらっしゃ|おっしゃ|ご覧にな|召し上が|申し上げ|存じ|伺い|伺う|伺っ|参り|参る|いたしま|いたし|"
    r"お越し|拝見|拝読|お[\u3040-\u309f\u4e00-\u9fff]{1,4}にな[りるっれ])"
)
RUBY = re.compile(r"\{([^{}|]+)\|[^{}]+\}")
KANJI = re.compile(r"[\u3400-\u9fff々]")


def easy_sentences(source):
    """(line, sentence) of an Easy Japanese page's prose; ruby overrides count as their base."""
    for number, line in source.lines:
        text = RUBY.sub(r"\1", prose(line))
        text = re.sub(r"^\s*(#+|[-*+]|\d+\.|\|)\s*", "", text).replace("|", " ").strip()
        for sentence in re.findall(r"[^。！？!?]+[。！？!?]?", text):
            if sentence.strip():
                yield number, sentence.strip()


def check_easy_japanese(source):
    for number, sentence in easy_sentences(source):
        length = len(sentence)
        if length > 50:
            yield source.at(
                number,
                f"文が長すぎます（{length}文字）。50文字以内、できれば30文字以内にしてください",
                "easy-sentence-length",
            )
        elif length > 30:
            yield source.at(
                number,
                f"文が長めです（{length}文字）。30文字以内にできないか見直してください",
                "easy-sentence-length",
                warning=True,
            )
        kanji = len(KANJI.findall(sentence))
        if kanji > 20:
            yield source.at(
                number,
                f"一つの文に漢字が{kanji}字あります。ひらがなや短い文にしてください",
                "easy-kanji",
            )
        elif kanji > 10:
            yield source.at(
                number,
                f"一つの文に漢字が{kanji}字あります。減らせないか見直してください",
                "easy-kanji",
                warning=True,
            )
        if sentence.endswith("。") and not EASY_ENDING.search(
            sentence.rstrip("。」）)").rstrip("。")
        ):
            yield source.at(
                number,
                f"文の終わりを「です」「ます」にしてください（「{sentence[-8:]}」）",
                "easy-ending",
            )
        for match in DOUBLE_NEGATIVE.findall(sentence):
            yield source.at(
                number, f"二重否定「{match}」は使わないでください", "easy-double-negative"
            )
        for match in HONORIFIC.findall(sentence):
            yield source.at(
                number,
                f"敬語「{match}」は使わないでください。「見ます」「言います」のように書いてください",
                "easy-honorific",
            )


def check_translations(sources, site):
    """Pages of a mandatory category must exist in every mandatory language."""
    present = {
        (s.front.values.get("translation_key") or s.front.values.get("slug"), s.lang)
        for s in sources
    }
    for source in sources:
        if source.lang != site.languages[0] or source.kind != "article":
            continue
        slug = site.categories.get(source.front.values.get("category", ""))
        required = site.mandatory.get(slug)
        if not required:
            continue
        wanted = site.languages[1:] if required == "all" else required
        key = source.front.values.get("translation_key") or source.front.values.get("slug")
        missing = [lang for lang in wanted if (key, lang) not in present]
        if missing:
            # an emergency never waits for its translations: each language shows the
            # Japanese text with a line saying the translation is being prepared
            urgent = model.is_true(source.front.values.get("emergency", ""))
            yield source.at(
                source.line_of("category"),
                f"分類「{source.front.values['category']}」は多言語化の必須分類です。"
                f"翻訳（{', '.join(missing)}）がありません（{Path(source.relpath).stem}.<言語>.md）"
                + ("。緊急情報なので、翻訳を準備中と示して日本語で公開します" if urgent else ""),
                "missing-translation",
                warning=urgent,
            )


def run_checks(sources, site):
    violations = set()
    for source in sources:
        violations.update(check_front_matter(source, site))
        violations.update(check_body(source, site))
        violations.update(check_html(source))
        if source.lang == "easy":
            violations.update(check_easy_japanese(source))
    violations.update(check_duplicates(sources, site))
    violations.update(check_translations(sources, site))
    return sorted(violations)


# ---------------------------------------------------------------- wiring into Pelican


def site_from_settings(settings):
    """The registries, languages and templates of the site, without its content."""
    theme_templates = Path(settings["THEME"]) / "templates"
    return Site(
        content_root=Path(settings["PATH"]),
        static_paths=settings["STATIC_PATHS"],
        siteurl=settings["SITEURL"],
        departments={k: v for k, v in settings["DEPARTMENTS"].items() if k != "defaults"},
        categories=settings["TAXONOMY"]["categories"],
        tags=settings["TAXONOMY"]["tags"],
        languages=tuple(
            code for code, *_ in settings.get("HIROBA_LANGUAGES", [(settings["DEFAULT_LANG"],)])
        ),
        templates={p.stem for p in theme_templates.glob("*.html")},
        mandatory=settings.get("MULTILINGUAL_MANDATORY", {}),
    )


def site_from_generators(generators):
    settings = generators[0].settings
    context = generators[0].context
    site = site_from_settings(settings)
    site.live_sources = dict(context.get("generated_content", {}))

    def written(save_as, owner=None):
        if save_as:
            site.outputs[save_as] += 1
            if owner:  # the last file in path order, as duplicate-slug names it
                site.output_owner[save_as] = max(owner, site.output_owner.get(save_as, owner))

    objects = {}
    for generator in generators:
        for attribute in (
            "articles",
            "translations",
            "hidden_articles",
            "hidden_translations",
            "pages",
            "hidden_pages",
            "staticfiles",
        ):
            for item in getattr(generator, attribute, []):
                objects[id(item)] = item
        for attribute in ("categories", "tags"):
            taxa = getattr(generator, attribute, None) or []
            for taxon in taxa.keys() if isinstance(taxa, dict) else (t for t, _ in taxa):
                written(taxon.save_as)
        # generators that write pages of their own (procedure_pages) list them, so links
        # from content to those pages resolve
        for save_as in getattr(generator, "outputs", ()):
            written(save_as)
        for year in {a.date.year for a in getattr(generator, "articles", [])}:
            if settings.get("YEAR_ARCHIVE_SAVE_AS"):
                written(settings["YEAR_ARCHIVE_SAVE_AS"].format(date=datetime(year, 1, 1)))
    for item in objects.values():
        written(item.save_as, item.get_relative_source_path())
    for name in settings["DIRECT_TEMPLATES"]:
        written(settings.get(f"{name.upper()}_SAVE_AS", f"{name}.html"))
    for key in ("FEED_ATOM", "FEED_RSS", "JSON_FEED_SAVE_AS"):
        written(settings.get(key))
    for generator in generators:
        for category, _ in getattr(generator, "categories", None) or []:
            for key in ("CATEGORY_FEED_ATOM", "CATEGORY_FEED_RSS"):
                if settings.get(key):
                    written(settings[key].format(slug=category.slug))
    return site


# rules whose violations `make fix` (fix.py) corrects, except what would change the meaning
FIXABLE = {
    "encoding",
    "machine-dependent-character",
    "half-width-katakana",
    "full-width-alphanumeric",
    "space-in-word",
    "date-format",
}


def report(violations, style="text"):
    """Print each violation (text: `path:line: message [rule]`; github: an annotation);
    stop with ContentCheckFailed when any is an error."""
    for violation in violations:
        line = violation.github() if style == "github" else str(violation)
        sys.stderr.write(f"{line}\n")
    errors = [v for v in violations if not v.warning]
    fixable = [v for v in errors if v.rule in FIXABLE]
    if errors:
        sys.stderr.write(f"content checks: {len(errors)} error(s); nothing was published\n")
        if fixable:
            sys.stderr.write(f"content checks: うち {len(fixable)} 件は make fix で直せます\n")
        raise ContentCheckFailed(1)


def check_site(generators):
    settings = generators[0].settings
    site = site_from_generators(generators)
    sources = list(
        find_sources(site.content_root, settings["ARTICLE_PATHS"], settings["PAGE_PATHS"])
    )
    violations = run_checks(sources, site)
    violations += sorted(check_newsletter_html(site.content_root, settings))
    violations += [Violation(*p, "bad-value") for p in catalogue_check.problems(site.content_root)]
    report(violations, settings.get("CONTENT_CHECKS_FORMAT", "text"))
    return sources


def check_newsletter_html(content_root, settings):
    """Newsletter issues are Markdown that becomes pages and mails: the same HTML policy."""
    folder = content_root / settings.get("NEWSLETTER_PATH", "newsletter")
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if not path.is_file():
            continue
        try:
            source = read_source(path, content_root, ())
        except encoding.NotUtf8:
            continue  # reported by check_files
        yield from check_html(source)


FORMATS = ("text", "github")  # CONTENT_CHECKS_FORMAT; make check FORMAT=github sets it


def check_content_files(pelican):
    settings = pelican.settings
    style = settings.setdefault("CONTENT_CHECKS_FORMAT", "text")
    if style not in FORMATS:
        raise ContentCheckFailed(
            f"CONTENT_CHECKS_FORMAT は {' / '.join(FORMATS)} のどちらかです（{style!r}）"
        )
    violations = check_files(
        Path(settings["PATH"]),
        settings["ARTICLE_PATHS"],
        settings["PAGE_PATHS"],
        settings["STATIC_PATHS"],
        settings.get("IGNORE_FILES", ()),
    )
    report(sorted(violations), style)


def check_named_files(paths, settings, live_sources, outputs):
    """The violations of these files alone, by the same rules as the build (the emergency
    fast path checks the notice it publishes and its translations, not the whole site).

    `live_sources` answers `relpath in …` (and `.get(relpath).url`) for link targets, and
    `outputs` answers `save_as in …` for what the site serves (its `.items()` may be empty:
    duplicate outputs need the whole site): the caller decides how, as it has not read the
    site.
    """
    site = site_from_settings(settings)
    site.live_sources, site.outputs = live_sources, outputs
    root = site.content_root.resolve()
    sources, unreadable = [], []
    for path in paths:
        path = Path(path).resolve()
        try:
            sources.append(read_source(path, root, settings["ARTICLE_PATHS"]))
        except encoding.NotUtf8 as problem:
            rule = "encoding" if problem.encoding else "not-text"
            unreadable.append(Violation(_shown(path), 1, problem.message, rule))
    return unreadable + run_checks(sources, site)


def register():
    signals.initialized.connect(check_content_files)
    signals.all_generators_finalized.connect(check_site)
