"""The procedure catalogue, the 団体 registry and the departments' paper counts
(registry/procedures.toml, dantai.toml, paper_counts.toml), checked by the build with the
parsers the application API and the operator tools load them with, so that a file the build
accepts is one they can read.

Each problem is (path, line, message). A municipality's name and reading are those of its
page under pages/municipalities/ (Title, Kana): the registry repeats them for the API, which
has no pages, and this check keeps the two equal in both directions.
"""

import re
from pathlib import Path

from hiroba_core import catalogue, paper_counts

from . import encoding

MUNICIPALITIES = Path("pages") / "municipalities"
_FIELD = re.compile(r"^(Title|Kana|Slug):\s*(.*?)\s*$")


def _shown(path):
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _front(path):
    """{Title, Kana, Slug} of a page's front matter (it ends at the first blank line)."""
    fields = {}
    try:
        text = encoding.read_text(path)
    except encoding.NotUtf8:
        return fields  # reported by the encoding check
    for line in text.splitlines():
        if not line.strip():
            break
        match = _FIELD.match(line)
        if match:
            fields[match[1]] = match[2]
    return fields


def _pages_agree(registry, dantai, pages_folder):
    where = catalogue._Lines(registry.read_text("utf-8-sig"))
    named = set()
    for code, entry in dantai.items():
        if not entry.page:
            continue
        named.add(entry.page)
        page = pages_folder / f"{entry.page}.md"
        if not page.is_file():
            continue  # the registry is enough for the API; the page may come later
        front = _front(page)
        for key, field, value in (("name", "Title", entry.name), ("kana", "Kana", entry.kana)):
            if front.get(field, "") != value:
                yield (
                    _shown(registry),
                    where.of(code, key),
                    f"[{code}] {key}「{value}」が {_shown(page)} の {field}"
                    f"「{front.get(field, '')}」と違います。同じにしてください",
                )
    for page in sorted(pages_folder.glob("*.md")) if pages_folder.is_dir() else []:
        slug = _front(page).get("Slug") or page.stem
        if page.stem != "index" and slug not in named:
            yield (
                _shown(page),
                1,
                f"市町村のページ {slug} が registry/{catalogue.DANTAI_FILE} にありません"
                "（page = で名前を書いてください）",
            )


def problems(content_root):
    """(path, line, message) for every problem of the catalogue and the 団体 registry."""
    folder = Path(content_root) / "registry"
    if not (folder / catalogue.FILE_NAME).is_file():
        return []  # a site without online procedures
    missing = [
        name
        for name in (catalogue.DANTAI_FILE, catalogue.DEPARTMENTS_FILE)
        if not (folder / name).is_file()
    ]
    if missing:
        return [
            (_shown(folder / name), 1, f"{name} がありません（procedures.toml が使います）")
            for name in missing
        ]
    found = [(_shown(folder / p.file), p.line, p.message) for p in catalogue.problems(folder)]
    found += _paper_counts(folder)
    try:
        dantai = catalogue.parse_dantai((folder / catalogue.DANTAI_FILE).read_text("utf-8-sig"))
    except catalogue.CatalogueError:
        return sorted(found)  # reported above, line by line
    pages = Path(content_root) / MUNICIPALITIES
    found += _pages_agree(folder / catalogue.DANTAI_FILE, dantai, pages)
    return sorted(found)


def _paper_counts(folder):
    """The departments' paper counts name procedures of the catalogue, by fiscal year (a
    procedure with problems of its own is still known here: it is reported once, above)."""
    path = folder / paper_counts.FILE_NAME
    if not path.is_file():
        return []
    text = (folder / catalogue.FILE_NAME).read_text("utf-8-sig")
    procedures = catalogue._toml(catalogue.FILE_NAME, text)[0] or {}
    return [
        (_shown(path), p.line, p.message)
        for p in paper_counts.problems(path.read_text("utf-8-sig"), procedures)
    ]
