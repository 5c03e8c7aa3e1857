"""メルマガ・みやぎ: newsletter issues built from the site's content.

An editor writes `content/newsletter/<issue-id>.md` (front matter + the editor's
introduction in Markdown) with `Newsletter: weekly` or a topic (bousai, kanko, event,
kensei). The issue lists every notice published or updated after the previous issue of the
same kind (the first one: the 7 days before it) up to its date, by topic, with the live
emergencies as a banner on top. For each issue the build writes

    newsletter/<id>/index.html    the issue on the site        (template newsletter-issue)
    newsletter/<id>/issue.json    the mail: subject, HTML part with CSS inlined, plain text
                                  wrapped for phones, topics (what `python -m infra.tools newsletter
                                  send <id>` sends)
    newsletter/index.html         the archive                  (template newsletter-archive)
    feeds/newsletter.rss.xml      RSS of the issues

Settings (checked at `initialized`): NEWSLETTER_PATH, NEWSLETTER_TOPICS,
NEWSLETTER_TEXT_COLUMNS, NEWSLETTER_*_SAVE_AS, NEWSLETTER_FEED_RSS.
"""

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import markdown
from feedgenerator import Rss201rev2Feed
from pelican import signals
from pelican.generators import Generator

from hiroba_core.content import model
from hiroba_core.dates import JST, format_date_ja

from .. import settings as plugin_settings
from ..emergency import emergency
from ..settings import Setting
from . import wrap

MANAGE_MARK, UNSUBSCRIBE_MARK = "%%HIROBA_MANAGE_URL%%", "%%HIROBA_UNSUBSCRIBE_URL%%"
_PATH = "サイト内の相対パス"
SETTINGS = {
    "NEWSLETTER_PATH": Setting("newsletter", plugin_settings.text, "content/ の中のフォルダー名"),
    "NEWSLETTER_NAME": Setting("メルマガ・みやぎ", plugin_settings.text, "メールマガジンの名前"),
    # topic id -> Japanese name, categories and tags of content/registry/taxonomy.toml
    "NEWSLETTER_TOPICS": Setting(
        {
            "bousai": {"name": "防災", "categories": ["防災・危機管理"], "tags": ["地震", "津波"]},
            "kanko": {"name": "観光", "categories": ["観光・交流"], "tags": ["みやぎの四季"]},
            "event": {"name": "イベント", "categories": [], "tags": ["イベント"]},
            "kensei": {"name": "県政", "categories": ["県政・行財政"], "tags": ["知事記者会見"]},
        },
        lambda v: True,  # checked with the taxonomy in check_topics
    ),
    # 76 display columns = 38 full-width characters: what phone mail shows on one line
    "NEWSLETTER_TEXT_COLUMNS": Setting(
        76, lambda v: plugin_settings.positive_int(v) and 40 <= v <= 998, "40 から 998 までの整数"
    ),
    "NEWSLETTER_INDEX_SAVE_AS": Setting("newsletter/index.html", plugin_settings.save_as, _PATH),
    "NEWSLETTER_ISSUE_SAVE_AS": Setting(
        "newsletter/{id}/index.html", plugin_settings.save_as, _PATH
    ),
    "NEWSLETTER_ISSUE_URL": Setting("newsletter/{id}/", plugin_settings.save_as, _PATH),
    "NEWSLETTER_MAIL_SAVE_AS": Setting(
        "newsletter/{id}/issue.json", plugin_settings.save_as, _PATH
    ),
    "NEWSLETTER_FEED_RSS": Setting("feeds/newsletter.rss.xml", plugin_settings.save_as, _PATH),
    "NEWSLETTER_SUBSCRIBE_URL": Setting("newsletter/subscribe/", plugin_settings.save_as, _PATH),
}
KINDS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED = ("title", "slug", "summary", "date", "newsletter")
RULE = "─" * 19  # 38 columns


class NewsletterError(Exception):
    """A newsletter source or setting is wrong: the build stops with this message."""


class NewsletterSettingError(NewsletterError, plugin_settings.SettingError):
    """A NEWSLETTER_* setting is wrong (stops the build without a traceback)."""


def settings_with_defaults(settings):
    """For the operator tools, which read the settings without a build."""
    return plugin_settings.with_defaults(settings, SETTINGS)


def check_topics(settings, taxonomy):
    """Stop the build on a topic naming a category or tag the registry does not have."""
    topics = settings["NEWSLETTER_TOPICS"]
    if not isinstance(topics, dict) or not topics:
        raise NewsletterSettingError("NEWSLETTER_TOPICS must map topic ids to name/categories/tags")
    for topic, spec in topics.items():
        if not model.SLUG_RE.match(topic) or topic == "weekly":
            raise NewsletterSettingError(f"NEWSLETTER_TOPICS: {topic!r} is not a usable topic id")
        for key, known in (("categories", taxonomy["categories"]), ("tags", taxonomy["tags"])):
            for name in spec.get(key, []):
                if name not in known:
                    raise NewsletterSettingError(
                        f"NEWSLETTER_TOPICS[{topic!r}]: {key} {name!r} is not in taxonomy.toml"
                    )


def check_settings(settings, taxonomy):
    """Stop on a bad NEWSLETTER_* value, leaving `settings` as it is."""
    settings = settings_with_defaults(settings)
    plugin_settings.validate(settings, SETTINGS)
    check_topics(settings, taxonomy)


# ---------------------------------------------------------------- reading issues


@dataclass
class Item:
    title: str
    url: str  # absolute
    summary: str
    date: datetime
    updated: bool
    topics: tuple


@dataclass
class Issue:
    id: str
    title: str
    summary: str
    date: datetime
    kind: str  # "weekly" or a topic id
    department: str
    intro_html: str
    intro_text: str
    since: datetime | None = None
    items: list = field(default_factory=list)
    emergencies: list = field(default_factory=list)

    @property
    def topics(self):
        if self.kind != "weekly":
            return (self.kind,)
        return tuple(sorted({t for item in self.items for t in item.topics}))


def _absolute(markup, siteurl):
    return re.sub(r'(href|src)="/', rf'\1="{siteurl}/', markup)


def html_to_text(markup):
    """The introduction as plain text: paragraphs and list items, links as URL lines."""
    text = re.sub(
        r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', lambda m: f"{m.group(2)}\n{m.group(1)}\n", markup
    )
    text = re.sub(r"<li[^>]*>", "・", text)
    text = re.sub(r'<img [^>]*alt="([^"]*)"[^>]*>', r"（画像：\1）", text)
    text = re.sub(r"</(p|li|h[1-6]|ul|ol|blockquote)>|<br\s*/?>", "\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def read_issue(path, settings):
    text = path.read_text("utf-8")
    front = model.read_front_matter(text)
    values = front.values
    where = f"{path}"
    for key in values:
        if key not in model.FIELDS:
            raise NewsletterError(f"{where}:{front.lines[key]}: 未知の項目「{key}」です")
    for key in REQUIRED:
        if not values.get(key):
            raise NewsletterError(f"{where}:1: 必須項目「{key.capitalize()}」がありません")
    kind = values["newsletter"]
    if kind != "weekly" and kind not in settings["NEWSLETTER_TOPICS"]:
        names = ", ".join(["weekly", *settings["NEWSLETTER_TOPICS"]])
        raise NewsletterError(
            f"{where}:{front.lines['newsletter']}: Newsletter は {names} のどれかにしてください"
        )
    if not KINDS_RE.match(values["slug"]):
        raise NewsletterError(
            f"{where}:{front.lines['slug']}: Slug は 2026-11-27-weekly のように日付で始めてください"
        )
    try:
        date = model.parse_datetime(values["date"])
    except model.BadDate as error:
        raise NewsletterError(f"{where}:{front.lines['date']}: {error}") from None
    body = "\n".join(text.splitlines()[front.body_start - 1 :])
    intro = markdown.markdown(body, extensions=["markdown.extensions.extra"], output_format="html")
    intro = _absolute(intro, settings["SITEURL"])
    return Issue(
        id=values["slug"],
        title=values["title"],
        summary=values["summary"],
        date=date,
        kind=kind,
        department=values.get("department") or settings.get("SITE_DEPARTMENT", "koho"),
        intro_html=intro,
        intro_text=html_to_text(intro),
    )


def topics_of(article, topics):
    category = getattr(getattr(article, "category", None), "name", None)
    tags = {t.name for t in getattr(article, "tags", [])}
    return tuple(
        topic
        for topic, spec in topics.items()
        if category in spec.get("categories", []) or tags & set(spec.get("tags", []))
    )


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=JST)


def plain(markup):
    return html.unescape(re.sub(r"<[^>]+>", "", markup or "")).strip()


def collect(issues, articles, settings, now):
    """Fill each issue's window and items; issues dated after `now` are left out."""
    topics = settings["NEWSLETTER_TOPICS"]
    siteurl = settings["SITEURL"]
    live = [i for i in issues if i.date <= now]
    live.sort(key=lambda i: (i.date, i.id))
    previous = {}
    for issue in live:
        issue.since = previous.get(issue.kind, issue.date - timedelta(days=7))
        previous[issue.kind] = issue.date
        for article in articles:
            date = _aware(article.date)
            modified = _aware(article.modified) if getattr(article, "modified", None) else None
            moment = max(date, modified) if modified else date
            if not issue.since < moment <= issue.date:
                continue
            matched = topics_of(article, topics)
            if issue.kind != "weekly" and issue.kind not in matched:
                continue
            issue.items.append(
                Item(
                    title=article.title,
                    url=f"{siteurl}/{article.url}",
                    summary=plain(article.summary),
                    date=moment,
                    updated=bool(modified and modified > date and modified > issue.since >= date),
                    topics=matched,
                )
            )
        issue.items.sort(key=lambda i: (i.date, i.url), reverse=True)
    return sorted(live, key=lambda i: (i.date, i.id), reverse=True)


def sections(issue, settings):
    """[(heading, items)]: one section per topic (weekly) with the rest under その他."""
    topics = settings["NEWSLETTER_TOPICS"]
    if issue.kind != "weekly":
        return [(topics[issue.kind]["name"], issue.items)]
    found = [
        (spec["name"], [i for i in issue.items if t in i.topics]) for t, spec in topics.items()
    ]
    others = [i for i in issue.items if not i.topics]
    if others:
        found.append(("その他のお知らせ", others))
    return [(name, items) for name, items in found if items]


def jst_date(value):
    return format_date_ja(value.astimezone(JST))


def mail_text(issue, settings):
    """The plain-text part, wrapped to NEWSLETTER_TEXT_COLUMNS."""
    lines = [settings["NEWSLETTER_NAME"], issue.title, f"{jst_date(issue.date)}発行", RULE]
    if issue.emergencies:
        lines += ["【緊急情報】"]
        for e in issue.emergencies:
            lines += [
                f"■【{e.severity_label}】{e.title}",
                f"  対象地域：{e.area}",
                f"  {settings['SITEURL']}/{e.url}",
            ]
        lines += [RULE]
    lines += [issue.intro_text, RULE]
    for heading, items in sections(issue, settings):
        lines += [f"■ {heading}", ""]
        for item in items:
            mark = "（更新）" if item.updated else ""
            lines += [f"・{item.title}{mark}", f"  {item.summary}", f"  {item.url}", ""]
    if not issue.items:
        lines += ["この期間に新しいお知らせはありませんでした。", ""]
    lines += [
        RULE,
        "配信する分野・頻度の変更：",
        MANAGE_MARK,
        "配信の停止：",
        UNSUBSCRIBE_MARK,
        "",
        f"バックナンバー：{settings['SITEURL']}/newsletter/",
        "発行：宮城県 総務部 広報課",
        "（このメールは送信専用です）",
    ]
    return wrap.wrap("\n".join(lines), settings["NEWSLETTER_TEXT_COLUMNS"]) + "\n"


def issue_url(issue, settings):
    return settings["NEWSLETTER_ISSUE_URL"].format(id=issue.id)


class NewsletterGenerator(Generator):
    """Reads content/newsletter/ in generate_context; writes only in generate_output."""

    def generate_context(self):
        folder = Path(self.settings["PATH"]) / self.settings["NEWSLETTER_PATH"]
        sources = sorted(folder.glob("*.md")) if folder.is_dir() else []
        issues = [read_issue(path, self.settings) for path in sources]
        seen = set()
        for issue in issues:
            if issue.id in seen:
                raise NewsletterError(f"newsletter: issue id {issue.id} is used twice")
            seen.add(issue.id)
        self.issues = issues

    def generate_output(self, writer):
        settings = self.settings
        now = model.build_time(settings.get("HIROBA_NOW"))
        articles = self.context.get("articles", [])
        issues = collect(self.issues, articles, settings, now)
        live = emergency.live_emergencies(emergency.settings_with_defaults(settings), now)
        shown = emergency.in_language(live, settings["DEFAULT_LANG"])
        for issue in issues:
            issue.emergencies = shown if issue.date <= now else []
        self._render("newsletter-archive.html", settings["NEWSLETTER_INDEX_SAVE_AS"], issues=issues)
        for issue in issues:
            issue_sections = sections(issue, settings)
            save_as = settings["NEWSLETTER_ISSUE_SAVE_AS"].format(id=issue.id)
            self._render("newsletter-issue.html", save_as, issue=issue, sections=issue_sections)
            self._write_mail(issue, issue_sections)
        self._write_feed(issues)

    def _render(self, template, save_as, **context):
        page = self.get_template(template.removesuffix(".html")).render(
            **self.context, **context, output_file=save_as
        )
        self._write(save_as, page)

    def _write(self, save_as, text):
        target = Path(self.output_path) / save_as
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")

    def _write_mail(self, issue, issue_sections):
        import css_inline

        settings = self.settings
        markup = self.get_template("newsletter/mail").render(
            **self.context,
            issue=issue,
            sections=issue_sections,
            LANG_CODE=settings["DEFAULT_LANG"],
            MANAGE_MARK=MANAGE_MARK,
            UNSUBSCRIBE_MARK=UNSUBSCRIBE_MARK,
            output_file=settings["NEWSLETTER_MAIL_SAVE_AS"].format(id=issue.id),
        )
        data = {
            "id": issue.id,
            "kind": issue.kind,
            "department": issue.department,  # who may send it from the staff console
            "topics": list(issue.topics or settings["NEWSLETTER_TOPICS"]),
            "frequency": "weekly" if issue.kind == "weekly" else "immediate",
            "lang": settings["DEFAULT_LANG"],
            "date": issue.date.isoformat(),
            "subject": f"【{settings['NEWSLETTER_NAME']}】{issue.title}",
            "url": f"{settings['SITEURL']}/{issue_url(issue, settings)}",
            "html": css_inline.inline(markup),
            "text": mail_text(issue, settings),
        }
        self._write(
            settings["NEWSLETTER_MAIL_SAVE_AS"].format(id=issue.id),
            json.dumps(data, ensure_ascii=False, indent=1) + "\n",
        )

    def _write_feed(self, issues):
        settings = self.settings
        siteurl = settings["SITEURL"]
        feed = Rss201rev2Feed(
            title=f"{settings['SITENAME']} {settings['NEWSLETTER_NAME']}",
            link=f"{siteurl}/newsletter/",
            feed_url=f"{siteurl}/{settings['NEWSLETTER_FEED_RSS']}",
            description=f"{settings['NEWSLETTER_NAME']}のバックナンバー",
            language=settings["DEFAULT_LANG"],
        )
        newest = max((i.date for i in issues), default=model.build_time(settings.get("HIROBA_NOW")))
        feed.latest_post_date = lambda: newest
        for issue in issues:
            url = f"{siteurl}/{issue_url(issue, settings)}"
            feed.add_item(
                title=issue.title,
                link=url,
                unique_id=url,
                description=issue.summary,
                pubdate=issue.date,
            )
        self._write(settings["NEWSLETTER_FEED_RSS"], feed.writeString("utf-8"))


def emergency_mail(emergencies, settings):
    """An immediate notice to 防災 subscribers: (issue id, subject, text) for the CLI."""
    settings = settings_with_defaults(settings)
    first = emergencies[0]
    lines = [f"{settings['NEWSLETTER_NAME']} 緊急情報", RULE]
    for e in emergencies:
        lines += [
            f"■【{e.severity_label}】{e.title}",
            f"  対象地域：{e.area}",
            f"  {e.issued.astimezone(JST):%Y-%m-%d %H:%M} 発表",
            f"  {e.summary}",
            f"  {settings['SITEURL']}/{e.url}",
            "",
        ]
    lines += [RULE, "配信の停止：", UNSUBSCRIBE_MARK, "発行：宮城県"]
    key = "-".join(f"{e.identifier}-{e.issued.astimezone(JST):%Y%m%d%H%M}" for e in emergencies)
    return (
        f"emergency-{key}"[:200],
        f"【緊急情報】{first.title}",
        wrap.wrap("\n".join(lines), settings["NEWSLETTER_TEXT_COLUMNS"]) + "\n",
    )


def initialized(pelican):
    taxonomy = pelican.settings["TAXONOMY"]
    plugin_settings.read(pelican.settings, SETTINGS, lambda s: check_topics(s, taxonomy))


def get_generators(pelican):
    return NewsletterGenerator


def register():
    signals.initialized.connect(initialized)
    signals.get_generators.connect(get_generators)
