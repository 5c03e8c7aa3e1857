"""Issues built by the plugin: items since the previous issue, the emergency banner, an
accessible HTML part with CSS inlined, text that fits phone mail, archive and RSS."""

import json
import re

import feedparser
import html5lib
import pytest

import pelicanconf
from hiroba_core.domain.subscription import TOPICS
from plugins.newsletter import newsletter, wrap
from tests.conftest import ROOT, make_content, notice, run_build

NOW = "2026-11-27 15:00"
EMERGENCY = notice(
    "jishin-sokuho",
    "宮城県で震度5強の地震がありました",
    date="2026-11-27 14:05",
    tags="地震",
    extra="Emergency: true\nSeverity: severe\nArea: 宮城県全域\nExpires_at: 2026-11-28 14:05",
)


def issue_md(slug, kind, date, intro="今週のお知らせをお届けします。"):
    return (
        f"Title: テスト号 {slug}\nSlug: {slug}\nSummary: {slug} の要約です。\n"
        f"Date: {date}\nDepartment: koho\nNewsletter: {kind}\n\n{intro}\n"
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("newsletter-site")
    long_intro = (
        "メルマガ・みやぎをお読みいただき、ありがとうございます。" * 4
        + "\n\n![宮城県庁の写真](/images/none.png)\n\n"
        + "[県のサイト](/news/)"
    )
    files = {
        "news/old.md": notice("old-one", "先月のお知らせ", date="2026-10-01 09:00"),
        "news/kensei.md": notice("kensei-one", "県政のお知らせ", date="2026-11-24 09:00"),
        "news/event.md": notice(
            "event-one", "秋のイベントのお知らせ", date="2026-11-25 09:00", tags="イベント"
        ),
        "news/updated.md": notice(
            "updated-one",
            "更新されたお知らせ",
            date="2026-10-01 09:00",
            extra="Modified: 2026-11-26 10:00",
        ),
        "news/jishin.md": EMERGENCY,
        "newsletter/2026-11-20-weekly.md": issue_md(
            "2026-11-20-weekly", "weekly", "2026-11-20 12:00"
        ),
        "newsletter/2026-11-27-weekly.md": issue_md(
            "2026-11-27-weekly", "weekly", "2026-11-27 12:00", long_intro
        ),
        "newsletter/2026-11-26-event.md": issue_md("2026-11-26-event", "event", "2026-11-26 12:00"),
        "newsletter/2026-12-04-weekly.md": issue_md(
            "2026-12-04-weekly", "weekly", "2026-12-04 12:00"
        ),
        "pages/newsletter/subscribe.md": (ROOT / "content/pages/newsletter/subscribe.md").read_text(
            "utf-8"
        ),
    }
    content = make_content(base, files)
    output = base / "output"
    result = run_build(content, output, now=NOW)
    assert result.returncode == 0, result.stdout + result.stderr
    return output


def mail(built, issue_id):
    return json.loads((built / "newsletter" / issue_id / "issue.json").read_text("utf-8"))


def test_issue_lists_what_changed_since_the_previous_issue(built):
    data = mail(built, "2026-11-27-weekly")
    text = data["text"]
    assert "県政のお知らせ" in text and "秋のイベントのお知らせ" in text
    assert "更新されたお知らせ（更新）" in text
    assert "先月のお知らせ" not in text
    assert data["frequency"] == "weekly" and set(data["topics"]) == {"event", "kensei"}
    digest = mail(built, "2026-11-26-event")
    assert digest["topics"] == ["event"] and digest["frequency"] == "immediate"
    assert "秋のイベントのお知らせ" in digest["text"] and "県政のお知らせ" not in digest["text"]
    assert not (built / "newsletter" / "2026-12-04-weekly").exists()  # dated after the build


def test_html_part_is_strict_accessible_and_inlined(built):
    markup = mail(built, "2026-11-27-weekly")["html"]
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    tree = parser.parse(markup.encode())
    assert tree.get("lang") == "ja"
    assert len(tree.findall(".//h1")) == 1 and tree.findall(".//h2")
    assert "<style" not in markup and 'style="' in markup  # CSS inlined
    assert all(img.get("alt") for img in tree.iter("img"))
    assert 'src="http://127.0.0.1:8000/images/none.png"' in markup  # absolute in a mail
    assert "font-size: 16px" in markup
    # the live emergency is a banner above the issue's title
    assert markup.index("宮城県で震度5強の地震がありました") < markup.index("<h1")
    for mark in (newsletter.MANAGE_MARK, newsletter.UNSUBSCRIBE_MARK):
        assert f'href="{mark}"' in markup


def test_text_part_fits_phone_mail(built):
    text = mail(built, "2026-11-27-weekly")["text"]
    assert text.index("【緊急情報】") < text.index("県政のお知らせ")
    for line in text.splitlines():
        if wrap.is_url_line(line):
            assert " " not in line.strip()
            continue
        assert wrap.width(line) <= 76, line  # 38 full-width characters
        assert not line or line[0] not in wrap.NO_START, line


def test_archive_issue_pages_and_feed(built):
    archive = (built / "newsletter" / "index.html").read_text("utf-8")
    assert 'href="/newsletter/2026-11-27-weekly/"' in archive
    page = (built / "newsletter" / "2026-11-27-weekly" / "index.html").read_text("utf-8")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parse(page.encode())
    assert page.count("<h1") == 1 and "秋のイベントのお知らせ" in page
    feed = feedparser.parse((built / "feeds" / "newsletter.rss.xml").read_bytes())
    assert not feed.bozo
    assert [e.link for e in feed.entries][:1] == [
        "http://127.0.0.1:8000/newsletter/2026-11-27-weekly/"
    ]
    form = (built / "newsletter" / "subscribe" / "index.html").read_text("utf-8")
    assert 'method="post" action="/api/publishing/newsletter/subscriptions"' in form
    assert "<script" not in form


def test_topics_agree_with_the_api_and_the_taxonomy():
    assert list(pelicanconf.NEWSLETTER_TOPICS) == list(TOPICS)
    newsletter.check_settings(vars(pelicanconf), pelicanconf.TAXONOMY)
    bad = {"NEWSLETTER_TOPICS": {"event": {"name": "x", "tags": ["存在しないタグ"]}}}
    with pytest.raises(newsletter.NewsletterError):
        newsletter.check_settings(bad, pelicanconf.TAXONOMY)


def test_a_bad_issue_file_stops_the_build(tmp_path):
    path = tmp_path / "x.md"
    settings = newsletter.settings_with_defaults({"SITEURL": "http://x"})
    path.write_text(issue_md("2026-11-27-weekly", "monthly", "2026-11-27"), "utf-8")
    with pytest.raises(newsletter.NewsletterError, match="Newsletter"):
        newsletter.read_issue(path, settings)
    path.write_text(issue_md("subscribe", "weekly", "2026-11-27"), "utf-8")
    with pytest.raises(newsletter.NewsletterError, match="Slug"):
        newsletter.read_issue(path, settings)


@pytest.mark.parametrize(
    "text",
    [
        "あ" * 100,
        "、。" * 50,
        "宮城県の電子申請サービスでは、English words are wrapped at spaces only。" * 3,
    ],
)
def test_wrap_keeps_width_and_line_start_rules(text):
    lines = wrap.wrap(text, 76).splitlines()
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert all(wrap.width(line) <= 76 for line in lines)
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text)
