"""`make fix`: the safe automatic fixes of content files, each printed as
`path:line: before → after`.

python -m plugins.content_checks.fix [file or folder …]   (default: the content folder)

It fixes what can be fixed without changing the meaning, with the checks' own tables:
機種依存文字 (① → (1), ㈱ → （株）, Ⅳ → 4, ㌔ → キロ), half-width katakana, full-width letters
and digits, spaces inside Japanese words, dates written 2026/1/2, and files saved as
Shift_JIS, EUC-JP, UTF-16 or with a BOM (written back as UTF-8, line endings kept; for
WebVTT captions and TOML registries only the encoding). Code,
link targets, HTML tags and front matter keys are left alone. What it cannot fix (a date
with a two-digit year, 〝〟, a binary file) it leaves to the check's message.
"""

import argparse
import os
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path

from hiroba_core.content import model
from hiroba_core.dates import format_date_ja

from . import encoding
from .rules.characters import (
    FULL_WIDTH_ALNUM,
    HALF_WIDTH_KANA,
    MACHINE_DEPENDENT,
    SLASH_DATE,
    SPACED_WORD,
    machine_dependent_replacement,
)
from .rules.files import TEXT_SUFFIXES
from .rules.rule import TextRule
from .sources import REF_DEFINITION, code_lines

# front matter values the checks read as prose
PROSE_KEYS = TextRule.PROSE_KEYS
# parts of a line that are not prose: code, link targets, tags, attribute lists, URLs
PROTECTED = re.compile(r"(`+).*?\1|\]\([^)]*\)|<[^>]*>|\{[^{}]*\}|https?://\S+")


def _date(match):
    year, _, month, day = match.groups()
    if len(year) != 4:
        return None  # 26/1/2: which century is the editor's to say
    try:
        when = date(int(year), int(month), int(day))
    except ValueError:
        return None  # not a date (a version number, a fraction …)
    return format_date_ja(when)


# (pattern, replacement of a match or None to leave it), in the order they are applied
FIXES = (
    (MACHINE_DEPENDENT, lambda m: machine_dependent_replacement(m.group(0))),
    (HALF_WIDTH_KANA, lambda m: unicodedata.normalize("NFKC", m.group(0))),
    (FULL_WIDTH_ALNUM, lambda m: unicodedata.normalize("NFKC", m.group(0))),
    (SPACED_WORD, lambda m: re.sub("[ \u3000]", "", m.group(0))),
    (SLASH_DATE, _date),
)


def fix_prose(text):
    """(fixed text, [(before, after)]) of a piece of prose."""
    changes = []

    def apply(segment):
        for pattern, replace in FIXES:

            def one(match, replace=replace):
                after = replace(match)
                if after is None or after == match.group(0):
                    return match.group(0)
                changes.append((match.group(0), after))
                return after

            segment = pattern.sub(one, segment)
        return segment

    parts, last = [], 0
    for match in PROTECTED.finditer(text):
        parts += [apply(text[last : match.start()]), match.group(0)]
        last = match.end()
    parts.append(apply(text[last:]))
    return "".join(parts), changes


def fix_text(text):
    """(fixed text, [(line, before, after)]) of a content file's text (LF line endings)."""
    front = model.read_front_matter(text)
    lines = text.split("\n")
    changes, code = [], code_lines(text, front.body_start)
    for index, line in enumerate(lines):
        number = index + 1
        if number < front.body_start:
            key, colon, value = line.partition(":")
            if colon and key.strip().lower() in PROSE_KEYS:
                fixed, found = fix_prose(value)
                lines[index] = key + colon + fixed
                changes += [(number, before, after) for before, after in found]
            continue
        if number in code or REF_DEFINITION.match(line):
            continue
        lines[index], found = fix_prose(line)
        changes += [(number, before, after) for before, after in found]
    return "\n".join(lines), changes


def fix_file(path):
    """Fix one file in place; [(line, before, after)] of what changed ([] for a binary file)."""
    data = path.read_bytes()
    changes = []
    try:
        text = encoding.decode(data)
        if data.startswith(encoding.BOM):
            changes.append((1, "UTF-8（BOM付き）", "UTF-8"))
    except encoding.NotUtf8 as problem:
        if not problem.encoding:
            return []  # not text: the check's message says what to do
        raw = data.decode(problem.encoding)
        text = raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        name = encoding.guess(data)[1]
        changes.append((1, name, "UTF-8"))
    newline = "\r\n" if b"\r\n" in data or b"\r\x00\n\x00" in data else "\n"
    if path.suffix.lower() == ".md":
        fixed, found = fix_text(text)
        changes += found
    else:  # captions and registries: only the encoding (the checks do not read their text)
        fixed = text
    if changes:
        path.write_bytes(fixed.replace("\n", newline).encode("utf-8"))
    return changes


def shown(path):
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def files_in(targets):
    for target in targets:
        if target.is_dir():
            for path in sorted(target.rglob("*")):
                hidden = any(part.startswith(".") for part in path.relative_to(target).parts)
                if path.suffix.lower() in TEXT_SUFFIXES and path.is_file() and not hidden:
                    yield path
        elif target.is_file():
            yield target


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m plugins.content_checks.fix")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv[1:])
    targets = args.paths or [Path(os.environ.get("HIROBA_CONTENT", "content"))]
    # a mistyped FILES= must not look like a file with nothing to fix
    missing = [target for target in targets if not target.exists()]
    for target in missing:
        print(
            f"{target}: ファイルもフォルダもありません（名前を確かめてください）", file=sys.stderr
        )
    total = files = 0
    for path in files_in(targets):
        try:
            changes = fix_file(path)
        except OSError as error:
            print(f"{shown(path)}:1: 読めないので直せません（{error.strerror}）")
            continue
        for line, before, after in changes:
            print(f"{shown(path)}:{line}: {before} → {after}")
        total += len(changes)
        files += bool(changes)
    print(f"make fix: {total} 件を修正しました（{files} ファイル）")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
