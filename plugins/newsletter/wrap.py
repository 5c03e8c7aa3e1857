"""Plain text for phone mail: lines of at most N display columns (a full-width character
is two), with the basic Japanese line-breaking rule (no line starts with 、。」 and the
like) and URLs kept whole on lines of their own, so that they stay clickable."""

import re
import unicodedata

# characters that must not start a line (行頭禁則)
NO_START = set(
    "、。，．,.!?！？)）]」』】〕〉》”’：；:;ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々〜…"
)
URL_LINE = re.compile(r"^\s*(https?://\S+|%%[A-Z_]+%%)\s*$")
_TOKENS = re.compile(r"[A-Za-z0-9@#%&_\-./:?=+~'’]+|\s+|.", re.S)


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text):
    return sum(char_width(ch) for ch in text)


def is_url_line(line):
    return bool(URL_LINE.match(line))


def _tokens(text, columns):
    for token in _TOKENS.findall(text):
        if width(token) > columns:
            yield from token  # a word longer than a line is cut where it must be
        else:
            yield token


def wrap_paragraph(text, columns=76, indent=""):
    """Wrap one line of text; continuation lines start with `indent`."""
    if is_url_line(text):
        return [text.strip()]
    lines, current = [], ""
    for token in _tokens(text.rstrip(), columns - width(indent)):
        if width(current) + width(token) <= columns:
            current += token
            continue
        if token.isspace():
            lines.append(current.rstrip())
            current = indent
            continue
        carry = ""
        if token[0] in NO_START and len(current.strip()) > 1:
            carry, current = current[-1], current[:-1]
        lines.append(current.rstrip())
        current = indent + carry + token
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def wrap(text, columns=76):
    """Wrap every line of `text`; list lines (・ ■ ※) keep a hanging indent."""
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        lead = line[: len(line) - len(stripped)]
        indent = lead + ("　" if stripped.startswith(("・", "■", "□", "※")) else "")
        out += wrap_paragraph(line, columns, indent)
    return "\n".join(out)
