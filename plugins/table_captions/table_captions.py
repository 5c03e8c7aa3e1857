"""Markdown tables get a caption and header scopes.

A paragraph `表: 目標指標` directly before a table becomes that table's <caption>, since
Markdown has no caption syntax and screen-reader users navigate tables by caption.
"""

import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from pelican import signals

CAPTION_PREFIXES = ("表:", "表：", "Table:")


class TableCaptionProcessor(Treeprocessor):
    def run(self, root):
        for parent in root.iter():
            children = list(parent)
            for paragraph, table in zip(children, children[1:], strict=False):
                if paragraph.tag != "p" or table.tag != "table" or len(paragraph):
                    continue
                text = (paragraph.text or "").strip()
                prefix = next((p for p in CAPTION_PREFIXES if text.startswith(p)), None)
                if prefix is None:
                    continue
                caption = etree.Element("caption")
                caption.text = text[len(prefix) :].strip()
                table.insert(0, caption)
                parent.remove(paragraph)
        for th in root.iter("th"):
            th.set("scope", "col")


class TableCaptionExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        # After the table parser has run (priority below 'inline' at 20 is fine).
        md.treeprocessors.register(TableCaptionProcessor(md), "hiroba_table_captions", 5)


def makeExtension(**kwargs):  # noqa: N802
    return TableCaptionExtension(**kwargs)


def add_extension(pelican):
    markdown = pelican.settings.setdefault("MARKDOWN", {})
    markdown.setdefault("extensions", []).append(TableCaptionExtension())


def register():
    signals.initialized.connect(add_extension)
