"""Furigana at build time for やさしい日本語 pages: every kanji gets a <ruby> reading.

Readings come from a dictionary-based analyser (pykakasi); names and places it reads
wrongly are fixed by content/registry/furigana.toml or, in a page, by `{名取市|なとりし}`.
Only text is annotated: never inside tags (attributes, link URLs), code or existing ruby.
"""

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from pelican import signals

EASY = "easy"
SKIP_TAGS = {"code", "pre", "ruby", "rt", "rp", "script", "style", "kbd", "samp"}
KANJI = re.compile(r"[\u3400-\u9fff々〆ヶ]")
EDITOR_RUBY = re.compile(r"\{([^{}|<>]+)\|([^{}<>]+)\}")
KANA_TAIL = re.compile(r"[\u3041-\u309f]+$")
KANA_HEAD = re.compile(r"^[\u3041-\u309f]+")


@lru_cache(maxsize=1)
def _analyser():
    import pykakasi

    return pykakasi.kakasi()


def ruby(base, reading):
    return f"<ruby>{base}<rt>{reading}</rt></ruby>"


def annotate_word(orig, hira):
    """'逃げ', 'にげ' -> '<ruby>逃<rt>に</rt></ruby>げ' (the okurigana stays plain)."""
    if not KANJI.search(orig) or not hira:
        return orig
    head = KANA_HEAD.match(orig)
    head = head.group(0) if head and hira.startswith(head.group(0)) else ""
    tail = KANA_TAIL.search(orig)
    tail = tail.group(0) if tail and hira.endswith(tail.group(0)) else ""
    core = orig[len(head) : len(orig) - len(tail)]
    reading = hira[len(head) : len(hira) - len(tail)]
    if not core or not reading:
        return orig
    return head + ruby(core, reading) + tail


def annotate_text(text, dictionary):
    """Ruby for one run of text (no tags in it)."""
    pieces = []
    position = 0
    names = sorted(dictionary, key=len, reverse=True)
    pattern = EDITOR_RUBY.pattern
    if names:
        pattern += "|" + "|".join(re.escape(name) for name in names)
    for match in re.finditer(pattern, text):
        pieces.append(_analysed(text[position : match.start()]))
        if match.group(1):
            pieces.append(ruby(match.group(1), match.group(2)))
        else:
            pieces.append(ruby(match.group(0), dictionary[match.group(0)]))
        position = match.end()
    pieces.append(_analysed(text[position:]))
    return "".join(pieces)


def _analysed(text):
    if not KANJI.search(text):
        return text
    return "".join(annotate_word(item["orig"], item["hira"]) for item in _analyser().convert(text))


def annotate_html(html, dictionary):
    """Ruby for every text node of an HTML fragment, outside code and existing ruby."""
    out, skipping = [], 0
    for part in re.split(r"(<[^>]+>)", html):
        if part.startswith("<"):
            tag = re.match(r"</?([a-zA-Z0-9]+)", part)
            if tag and tag.group(1).lower() in SKIP_TAGS:
                if part.startswith("</"):
                    skipping = max(0, skipping - 1)
                elif not part.endswith("/>"):
                    skipping += 1
            out.append(part)
        elif skipping or not part:
            out.append(part)
        else:
            out.append(annotate_text(part, dictionary))
    return "".join(out)


def load_dictionary(content_path):
    path = Path(content_path) / "registry" / "furigana.toml"
    return tomllib.loads(path.read_text("utf-8")) if path.is_file() else {}


# The readings of content/registry/furigana.toml, read once per build into its settings
# (a second build in the same process reads the file again).
READINGS = "FURIGANA_READINGS"


def initialized(pelican):
    pelican.settings[READINGS] = load_dictionary(pelican.settings["PATH"])


def add_furigana(content):
    if getattr(content, "lang", None) != EASY or not getattr(content, "_content", None):
        return
    dictionary = content.settings.get(READINGS)
    if dictionary is None:  # content read outside a build (the emergency fast path reads one)
        dictionary = load_dictionary(content.settings["PATH"])
    content._content = annotate_html(content._content, dictionary)


def register():
    signals.initialized.connect(initialized)
    signals.content_object_init.connect(add_furigana)
