"""JSON Feed 1.1 of the notices (お知らせ), published as open data."""

import html
import json
import os
import re

from pelican import signals

from hiroba_core.dates import JST

from .. import settings as plugin_settings
from ..settings import Setting

SETTINGS = {
    "JSON_FEED_SAVE_AS": Setting(
        "feeds/notices.json", plugin_settings.save_as, "サイト内の相対パス（feeds/x.json）"
    ),
    "JSON_FEED_SECTION": Setting("news", plugin_settings.text, "URL の区分名（news など）"),
}


def _plain(markup):
    return html.unescape(re.sub(r"<[^>]+>", "", markup or "")).strip()


def _timestamp(value):
    return (value if value.tzinfo else value.replace(tzinfo=JST)).isoformat()


def feed_document(articles, settings):
    siteurl = settings["SITEURL"]
    save_as = settings["JSON_FEED_SAVE_AS"]
    section = settings["JSON_FEED_SECTION"]
    notices = sorted(
        (a for a in articles if a.metadata.get("section") == section),
        key=lambda a: (a.date, a.slug),
        reverse=True,
    )
    items = []
    for article in notices:
        item = {
            "id": f"{siteurl}/{article.url}",
            "url": f"{siteurl}/{article.url}",
            "title": article.title,
            "summary": _plain(article.summary),
            "content_html": article.content,
            "date_published": _timestamp(article.date),
            "language": article.lang,
            "tags": [tag.name for tag in getattr(article, "tags", [])],
            "_hiroba": {
                "category": article.category.name,
                "department": article.metadata.get("department"),
                "emergency": str(article.metadata.get("emergency", "")).lower() == "true",
            },
        }
        if getattr(article, "modified", None) and article.modified != article.date:
            item["date_modified"] = _timestamp(article.modified)
        items.append(item)
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{settings['SITENAME']} お知らせ",
        "home_page_url": f"{siteurl}/",
        "feed_url": f"{siteurl}/{save_as}",
        "language": settings["DEFAULT_LANG"],
        "items": items,
    }


class JsonFeedGenerator:
    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        self.context = context
        self.settings = settings
        self.output_path = output_path

    def generate_output(self, writer):
        document = feed_document(self.context.get("articles", []), self.settings)
        target = os.path.join(self.output_path, self.settings["JSON_FEED_SAVE_AS"])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
            handle.write("\n")


def get_generators(pelican):
    return JsonFeedGenerator


def initialized(pelican):
    plugin_settings.read(pelican.settings, SETTINGS)


def register():
    signals.initialized.connect(initialized)
    signals.get_generators.connect(get_generators)
