"""The files themselves, before anything reads content/: every text file is UTF-8, and
nothing sits unpublished in a page folder."""

from dataclasses import dataclass, field
from pathlib import Path

from .. import encoding
from ..sources import Violation, shown
from .rule import Rule

# Files the build reads as text, which must therefore be UTF-8 (WebVTT is UTF-8 by definition;
# the registries are TOML, which is UTF-8 too).
TEXT_SUFFIXES = (".md", ".vtt", ".toml")


@dataclass
class FileScope:
    """content/ as the file rules see it."""

    content_root: Path
    page_folders: tuple  # "news/", "pages/", …
    static: tuple  # "images/", …
    unreadable: dict = field(default_factory=dict)  # path -> NotUtf8 or None, read once

    def shown(self, path):
        return shown(path)

    def relpath(self, path):
        return path.relative_to(self.content_root).as_posix()

    def not_utf8(self, path):
        """Why a text file cannot be read as UTF-8, or None."""
        if path not in self.unreadable:
            try:
                encoding.read_text(path)
                self.unreadable[path] = None
            except encoding.NotUtf8 as problem:
                self.unreadable[path] = problem
        return self.unreadable[path]


class Encoding(Rule):
    id = "encoding"
    description = "file not saved as UTF-8 (Shift_JIS, EUC-JP, UTF-16)"

    def check_file(self, path, files):
        if path.suffix.lower() in TEXT_SUFFIXES:
            problem = files.not_utf8(path)
            if problem is not None and problem.encoding:
                yield Violation(files.shown(path), 1, problem.message, self.id)


class NotText(Rule):
    id = "not-text"
    description = "binary or other non-text file where Markdown is expected"

    def check_file(self, path, files):
        if path.suffix.lower() in TEXT_SUFFIXES:
            problem = files.not_utf8(path)
            if problem is not None and not problem.encoding:
                yield Violation(files.shown(path), 1, problem.message, self.id)


class StrayFile(Rule):
    id = "stray-file"
    description = "file in a page folder that is not published (warning)"

    def check_file(self, path, files):
        if path.suffix.lower() in (*TEXT_SUFFIXES, ".svg"):
            return
        relpath = files.relpath(path)
        if not relpath.startswith(files.page_folders) or relpath.startswith(files.static):
            return
        if "files" in relpath.split("/")[1:-1]:
            return  # media/files/ and the like are published as files
        yield Violation(
            files.shown(path),
            1,
            "このファイルは公開されません（ページは .md で書きます）。画像は content/images/、"
            "公開する資料は content/documents/ に置いてください",
            self.id,
            warning=True,
        )
