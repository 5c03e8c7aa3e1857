"""Scheduled publication and automatic withdrawal (publish_at / expires_at).

Content outside its window is removed before categories, tags, feeds and links are made,
so it is absent from every output, not merely hidden from lists.
"""

import logging

from pelican import signals

from hiroba_core.content.model import build_time, window_of

logger = logging.getLogger(__name__)


def _live(items, now):
    return [item for item in items if window_of(item.metadata).is_live(now)]


def _forget(generator, kept, before):
    # Links to withdrawn content must not resolve (the content checks report them).
    # content objects compare by identity: two notices with equal fields are two notices
    removed = set(before) - set(kept)
    generated = generator.context.get("generated_content", {})
    for path, item in list(generated.items()):
        if item in removed:
            del generated[path]
    return len(removed)


def _withdraw(generator, attributes):
    now = build_time(generator.settings.get("HIROBA_NOW"))
    for attribute in attributes:
        before = getattr(generator, attribute, [])
        kept = _live(before, now)
        if _forget(generator, kept, before):
            setattr(generator, attribute, kept)


def withdraw_articles(generator):
    _withdraw(generator, ("articles", "translations", "hidden_articles", "hidden_translations"))


def withdraw_pages(generator):
    _withdraw(generator, ("pages", "translations", "hidden_pages", "hidden_translations"))
    generator._update_context(("pages", "hidden_pages"))


def register():
    signals.article_generator_pretaxonomy.connect(withdraw_articles)
    signals.page_generator_finalized.connect(withdraw_pages)
