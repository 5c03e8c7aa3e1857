"""What the content checks read: each Markdown file as written (front matter and body lines
with their numbers), what the build knows about the whole site, and a violation's line."""

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from markdown.extensions.fenced_code import FencedBlockPreprocessor

from hiroba_core.content import model

from . import encoding


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


def shown(path):
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
        return shown(self.path)

    def at(self, line, message, rule, warning=False):
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


# ---------------------------------------------------------------- the prose of a line

INLINE_CODE = re.compile(r"(`+).*?\1")
MD_LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
REF_DEFINITION = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_TAG = re.compile(r"<[^>]*>")


def prose(line):
    """The words a reader sees on a line: without code, link targets or markup."""
    if REF_DEFINITION.match(line):
        return ""
    line = INLINE_CODE.sub(" ", line)
    line = MD_LINK.sub(lambda m: f" {m.group(2)} ", line)
    return HTML_TAG.sub(" ", line)


def plain(markup):
    return re.sub(r"\s+", " ", HTML_TAG.sub("", INLINE_CODE.sub("", markup))).strip()
