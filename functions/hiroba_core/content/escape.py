"""Someone else's words as Markdown that shows them as written.

Residents' answers are published by writing them into content (infra.tools results); as
Markdown they could carry HTML, links, images, attribute lists (`{: onclick=…}`) or
structure (headings, lists, tables). Escaped here, they reach the page as text.
"""

import re

# Python-Markdown's backslash-escapable characters (with `extra`): escaping anything else
# would leave the backslash visible.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>])")


def markdown_text(text):
    """One line of plain text as Markdown inline text: `&` and `<` as references, the rest of
    the Markdown syntax backslash-escaped, leading indentation (a code block) dropped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _SPECIAL.sub(r"\\\1", text.lstrip(" \t"))


def markdown_lines(text):
    """Plain text of several lines, each escaped by markdown_text."""
    return [markdown_text(line) for line in str(text).splitlines()]
