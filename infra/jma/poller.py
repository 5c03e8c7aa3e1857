"""One poll of JMA's feeds: new reports about Miyagi become notices, published at once.

For each feed (politely: If-Modified-Since, at most once a minute) and each new entry of a
kind we read, the report is fetched and parsed. A report already seen (its EventID and
serial) changes nothing; one that does not concern Miyagi is recorded and ignored; one we
cannot read is logged and skipped. The rest are written as notices in content/news/, then
the emergency fast path publishes them in the same process (banner on every page, the
notice's pages, feeds, CAP), and the 防災 subscribers get one mail per report through the
exactly-once newsletter sender.

State lives in a small JSON file (feeds' Last-Modified, entries and reports seen, the open
warning notices), written whole and renamed, so a crash never leaves half of it.
"""

import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hiroba_core.content import model

from . import feeds, notices, reports

logger = logging.getLogger("infra.jma")
ROOT = Path(__file__).resolve().parents[2]
KEEP = 5000  # entries and reports remembered (JMA's feeds list the last few days)


@dataclass
class State:
    feeds: dict = field(default_factory=dict)  # url -> {"last_modified", "checked_at"}
    entries: list = field(default_factory=list)  # feed entry ids already fetched
    reports: list = field(default_factory=list)  # Report.key already applied
    episodes: dict = field(default_factory=dict)  # kind -> slug of the open warnings notice
    notices: dict = field(default_factory=dict)  # slug -> {"severity", "title"}

    @classmethod
    def load(cls, path):
        path = Path(path)
        if not path.is_file():
            return cls()
        return cls(**json.loads(path.read_text("utf-8")))

    def save(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        data = {k: v[-KEEP:] if isinstance(v, list) else v for k, v in self.__dict__.items()}
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
        os.replace(temporary, path)


@dataclass
class Outcome:
    """What one poll did, for the log and the tests."""

    fetched: int = 0
    not_modified: int = 0
    skipped_feeds: int = 0  # asked less than a minute ago
    duplicates: int = 0
    elsewhere: int = 0  # reports that do not concern Miyagi
    malformed: int = 0
    written: list = field(default_factory=list)  # (report, path)
    published: str = ""  # the fast path's summary line
    mailed: dict = field(default_factory=dict)  # issue id -> sent


def poll(feed_urls, state, content, now=None, min_interval=feeds.MIN_INTERVAL):
    """Read the feeds, write notices for new reports about Miyagi; returns an Outcome.

    Publishing and mail are separate steps (publish(), mail()) so a failure of one never
    loses what the other did."""
    outcome = Outcome()
    clock = now or datetime.now(UTC)
    for url in feed_urls:
        known = state.feeds.get(url, {})
        last = known.get("checked_at")
        if last and (clock - datetime.fromisoformat(last)).total_seconds() < min_interval:
            outcome.skipped_feeds += 1
            continue
        try:
            status, body, modified = feeds.get(url, known.get("last_modified"))
        except feeds.FeedError as error:
            logger.warning("jma: feed not read this time: %s", error)
            continue
        state.feeds[url] = {"last_modified": modified, "checked_at": clock.isoformat()}
        if status == 304:
            outcome.not_modified += 1
            continue
        try:
            found = feeds.entries(body)
        except feeds.FeedError as error:
            logger.warning("jma: %s: %s", url, error)
            continue
        for entry in found:
            if entry.id in state.entries:
                continue
            _apply(entry, state, content, outcome)
    return outcome


def _apply(entry, state, content, outcome):
    try:
        _, data, _ = feeds.get(entry.url)
    except feeds.FeedError as error:
        logger.warning("jma: report not read this time: %s", error)
        return  # not marked: the next poll fetches it again
    outcome.fetched += 1
    state.entries.append(entry.id)
    try:
        report = reports.parse(data)
    except reports.MalformedReport as error:
        outcome.malformed += 1
        logger.warning("jma: skipped %s: %s", entry.url, error)
        return
    if report.key in state.reports:
        outcome.duplicates += 1
        return
    state.reports.append(report.key)
    if not report.concerns_miyagi:
        outcome.elsewhere += 1
        return
    path = write_notice(report, state, content)
    if path is not None:
        outcome.written.append((report, path))


def write_notice(report, state, content):
    """Write (or rewrite) the notice of this report; its path, or None if nothing to do."""
    episodic = report.kind in ("weather", "landslide")
    slug = state.episodes.get(report.kind) if episodic else notices.slug_for(report)
    if report.lifted:
        if not slug or slug not in state.notices:
            return None  # lifting something we never published
        if episodic:
            state.episodes.pop(report.kind, None)
    elif slug is None:
        slug = notices.slug_for(report)
        state.episodes[report.kind] = slug
    known = state.notices.get(slug, {})
    severity = report.severity or known.get("severity", "moderate")
    text = notices.markdown(report, slug, severity, known.get("title"))
    path = Path(content) / "news" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    title = text.split("\n", 1)[0].removeprefix("Title: ")
    expires = report.reported_at if report.lifted else report.expires()
    state.notices[slug] = {
        "severity": severity,
        "title": known.get("title", title) if report.lifted else title,
        # the banner is up until then: the poll that finds it passed runs the fast path
        "expires": None if report.lifted else expires.isoformat(),
    }
    return path


def expired(state, content, now):
    """The notices whose banner is still up though they expired (JMA never lifted them);
    each is forgotten as it is returned, so the fast path lifts it once."""
    found = []
    for slug, notice in state.notices.items():
        expires = notice.get("expires")
        if expires and datetime.fromisoformat(expires) <= now:
            notice["expires"] = None
            for kind, open_slug in list(state.episodes.items()):
                if open_slug == slug:
                    del state.episodes[kind]  # the next warning starts a new notice
            path = Path(content) / "news" / f"{slug}.md"
            if path.is_file():
                found.append(path)
    return found


def publish(settings_path, paths):
    """The emergency fast path for the written notices, in this process."""
    from pelican.settings import read_settings

    from infra.tools.emergency import NotPublished
    from infra.tools.emergency import publish as fast_path

    settings = read_settings(str(settings_path))
    started = time.perf_counter()
    try:
        live, written, _ = fast_path(settings, files=[str(p) for p in paths])
    except NotPublished:
        logger.error("jma: the notices failed the content checks (above); not published")
        return None, ""
    titles = "、".join(e.title for e in live) or "なし"
    summary = (
        f"emergency: {len(live)} live ({titles}); {len(written)} files written "
        f"in {time.perf_counter() - started:.2f} s"
    )
    return (settings, live), summary


def mail(outcome, published, environ=None):
    """One mail per report to the 防災 subscribers (exactly once: the newsletter sender's
    natural key is the report). Skipped, with a line, when mail is not configured."""
    env = environ or os.environ
    if not env.get("HIROBA_MAIL"):
        return "mail: HIROBA_MAIL is not set; no mail sent"
    from hiroba_core.mail import Mailer
    from hiroba_core.services import sending
    from hiroba_core.settings import Settings
    from hiroba_core.store.newsletter import NewsletterStore
    from plugins.newsletter import newsletter as plugin

    settings = Settings.from_env(env)
    store, mailer = NewsletterStore(settings), Mailer.from_settings(settings)
    pelican_settings, live = published
    pelican_settings = plugin.settings_with_defaults(pelican_settings)
    by_slug = {e.identifier: e for e in live}
    lines = []
    for report, path in outcome.written:
        slug = Path(path).stem
        issue_id = f"{slug}-{_serial_key(report)}"[:200]
        if slug in by_slug:
            _, subject, text = plugin.emergency_mail([by_slug[slug]], pelican_settings)
        else:
            subject, text = lifted_mail(path, pelican_settings, plugin)
        issue = sending.Issue(issue_id, subject, text, None, ("bousai",), None)
        report_of_send = sending.send_issue(store, mailer, issue, rate=settings.newsletter_rate)
        outcome.mailed[issue_id] = report_of_send.sent
        lines.append(
            f"mail {issue_id}: {report_of_send.sent} sent, {report_of_send.already} already sent"
        )
    return "\n".join(lines)


def _serial_key(report):
    return "".join(c for c in report.serial if c.isalnum())


def lifted_mail(path, settings, plugin):
    """The mail for a lifted notice: no longer live, so not in the fast path's list."""
    values = model.read_front_matter(Path(path).read_text("utf-8")).values
    lines = [
        f"{settings['NEWSLETTER_NAME']} 緊急情報",
        plugin.RULE,
        f"■{values['title']}",
        f"  {values.get('summary', '')}",
        "",
        plugin.RULE,
        "配信の停止：",
        plugin.UNSUBSCRIBE_MARK,
        "発行：宮城県",
    ]
    text = plugin.wrap.wrap("\n".join(lines), settings["NEWSLETTER_TEXT_COLUMNS"]) + "\n"
    return f"【解除】{values['title']}", text


def run_once(feed_urls, state_path, content, settings_path, min_interval=feeds.MIN_INTERVAL):
    """Poll, publish and mail; the lines to print."""
    state = State.load(state_path)
    outcome = poll(feed_urls, state, content, min_interval=min_interval)
    now = model.build_time(os.environ.get("HIROBA_NOW"))
    lapsed = expired(state, content, now)
    lines = [
        f"jma: {outcome.fetched} report(s) fetched, {len(outcome.written)} notice(s) written, "
        f"{outcome.duplicates} already seen, {outcome.elsewhere} outside Miyagi, "
        f"{outcome.malformed} unreadable, {outcome.not_modified} feed(s) unchanged"
    ]
    lines += [f"wrote {Path(p).as_posix()}" for _, p in outcome.written]
    lines += [f"expired {Path(p).as_posix()}" for p in lapsed]
    if outcome.written or lapsed:
        paths = list(dict.fromkeys([p for _, p in outcome.written] + lapsed))
        published, summary = publish(settings_path, paths)
        if published is None:
            state.save(state_path)
            return lines + ["jma: not published (see the errors above)"], outcome, 1
        outcome.published = summary
        lines.append(summary)
        if outcome.written:
            lines.append(mail(outcome, published))
    state.save(state_path)
    return lines, outcome, 0
