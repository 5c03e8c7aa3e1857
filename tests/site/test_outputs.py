"""The real site, built once: valid HTML, resolving links, feeds, open data, search."""

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import html5lib
import pytest

SITEURL = "http://127.0.0.1:8000"


def html_files(site):
    # /admin/ is the web editor (Decap CMS), not a page of the site: tests/browser/test_web_editor.py
    return sorted(
        p
        for p in site.rglob("*.html")
        if p.relative_to(site).parts[0] not in ("pagefind", "m", "admin")
    )


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "poster") and value:
                self.targets.append(value)


def resolve(site, page, target):
    """The output file a link points at, or None when it leaves the site."""
    if target.startswith(SITEURL):
        target = target[len(SITEURL) :] or "/"
    parts = urlsplit(target)
    if parts.scheme or target.startswith("//") or not parts.path:
        return None
    if parts.path.startswith("/api/"):
        return None  # the apps' routes (the online form, the APIs): their own tests
    if parts.path.startswith("/"):
        path = site / unquote(parts.path).lstrip("/")
    else:
        path = page.parent / unquote(parts.path)
    if parts.path.endswith("/"):
        path = path / "index.html"
    return path


def test_site_has_the_content_the_plan_asks_for(site):
    notices = list((site / "news").glob("*/index.html"))
    assert len([p for p in notices if p.parent.name != "page"]) >= 20
    assert len(list((site / "policy").glob("*/index.html"))) == 6
    assert len(list((site / "municipalities").glob("*/index.html"))) == 35
    assert len(list((site / "media").glob("*/index.html"))) == 4
    content_pages = [p for p in html_files(site) if "data-pagefind-body" in p.read_text("utf-8")]
    assert len(content_pages) >= 40


def test_every_page_parses_as_strict_html5(site):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in html_files(site):
        try:
            parser.parse(page.read_bytes())
        except html5lib.html5parser.ParseError as error:
            pytest.fail(f"{page.relative_to(site)}: {error}")


def test_every_internal_link_and_asset_resolves(site):
    broken = []
    for page in html_files(site):
        parser = Links()
        parser.feed(page.read_text("utf-8"))
        for target in parser.targets:
            path = resolve(site, page, target)
            if path is not None and not path.is_file():
                broken.append(f"{page.relative_to(site)} -> {target}")
    assert broken == []


def test_every_page_has_one_h1_contact_block_and_dates_in_both_calendars(site):
    for page in html_files(site):
        text = page.read_text("utf-8")
        name = page.relative_to(site)
        assert text.count("<h1") == 1, name
        assert 'id="hiroba-contact-heading"' in text, name
        assert '<a class="hiroba-skip-link" href="#main">' in text, name
    article = (site / "news").glob("*/index.html")
    sample = next(p for p in article if p.parent.name != "page").read_text("utf-8")
    assert re.search(
        r"<time datetime=\"2026-\d\d-\d\d\">令和8年\d+月\d+日（2026-\d\d-\d\d）</time>", sample
    )


def test_feeds_parse_with_absolute_urls_and_jst_dates(site):
    feeds = [site / "feeds" / "all.atom.xml", site / "feeds" / "all.rss.xml"]
    # the category feeds; the emergency feeds are empty unless there is one (own tests)
    feeds += sorted(
        p for p in (site / "feeds").glob("*.xml") if not p.name.startswith(("all.", "emergency"))
    )
    assert len(feeds) >= 2 + 2 * 5
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.entries, path
        for entry in feed.entries:
            assert entry.link.startswith(SITEURL + "/"), entry.link
            assert resolve(site, path, entry.link).is_file(), entry.link
            stamp = entry.get("published") or entry.get("updated")
            assert stamp.endswith(("+09:00", "+0900")), stamp


def test_json_feed_is_valid_open_data(site):
    document = json.loads((site / "feeds" / "notices.json").read_text("utf-8"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == f"{SITEURL}/feeds/notices.json"
    items = document["items"]
    assert len(items) >= 20
    dates = [item["date_published"] for item in items]
    assert dates == sorted(dates, reverse=True)
    for item in items:
        assert item["url"].startswith(f"{SITEURL}/news/")
        assert resolve(site, site, item["url"]).is_file()
        assert item["date_published"].endswith("+09:00")
        assert item["title"] and item["summary"] and item["content_html"]


def test_sitemap_and_robots(site):
    tree = ET.parse(site / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in tree.getroot().findall("s:url/s:loc", ns)]
    assert len(locations) >= 80
    assert len(set(locations)) == len(locations)
    for location in locations:
        assert resolve(site, site, location).is_file(), location
    robots = (site / "robots.txt").read_text("utf-8")
    assert f"Sitemap: {SITEURL}/sitemap.xml" in robots


def test_search_index_covers_japanese_content(site):
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    assert "ja" in entry["languages"]
    assert entry["languages"]["ja"]["page_count"] >= 40


def test_municipality_index_groups_by_gojuon(site):
    text = (site / "municipalities" / "index.html").read_text("utf-8")
    rows = re.findall(r'<h2 id="row-\d+">(.)行</h2>', text)
    assert rows == ["あ", "か", "さ", "た", "な", "は", "ま", "や", "ら", "わ"]
    assert len(re.findall(r'href="/municipalities/[a-z-]+/"', text)) == 35
    listing = text[text.index('aria-label="五十音索引"') :]
    assert listing.index("石巻市") < listing.index("仙台市") < listing.index("涌谷町")


def test_media_pages_have_video_captions_and_transcript(site):
    for page in (site / "media").glob("*/index.html"):
        text = page.read_text("utf-8")
        assert re.search(
            r'<track kind="captions" src="/media/files/[\w-]+\.vtt" srclang="ja"', text
        )
        assert "<video" in text and 'id="transcript"' in text
        vtt = re.search(r'src="(/media/files/[\w-]+\.vtt)"', text).group(1)
        assert (site / vtt.lstrip("/")).read_text("utf-8").startswith("WEBVTT")


def test_stylesheet_stays_small_and_no_task_needs_javascript(site):
    css = site / "theme" / "css" / "hiroba.css"
    assert css.stat().st_size < 30 * 1024
    for page in html_files(site):
        text = page.read_text("utf-8")
        scripts = re.findall(r"<script[^>]*>", text)
        # progressive enhancement only: search results, and inline errors on the comment form
        assert scripts in (
            [],
            ['<script src="/theme/js/search.js" defer>'],
            ['<script src="/theme/js/comment-form.js" defer>'],
        ), page
        for form in re.findall(r"<form[^>]*>", text):
            # every form is a plain HTML form: a search (GET) or a post to our own API
            plain_get = 'method="get"' in form
            api_post = 'method="post"' in form and 'action="/api/' in form
            assert plain_get or api_post, (page, form)


def test_accessibility_results_page_renders_the_recorded_run(site):
    recorded = json.loads(
        (Path(__file__).resolve().parents[2] / "content/registry/a11y-results.json").read_text(
            "utf-8"
        )
    )
    text = (site / "about" / "accessibility-results" / "index.html").read_text("utf-8")
    assert f"適合レベルAAに{recorded['conformance']}" in text
    assert text.count('<th scope="row">') == len(recorded["criteria"]) == 56
    for url in recorded["pages"][:5]:
        assert f"<li>{SITEURL}{url}</li>" in text
    policy = (site / "about" / "accessibility" / "index.html").read_text("utf-8")
    assert recorded["conformance"] in policy and "/about/accessibility-results/" in policy


def test_foreign_language_fragments_carry_their_lang(site):
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    for page in html_files(site)[:20]:
        tree = parser.parse(page.read_bytes())
        assert tree.get("lang") == "ja"
        english = [
            e for e in tree.iter() if (e.text or "").strip().startswith(("Miyagi", "Copyright"))
        ]
        assert english and all(e.get("lang") == "en" for e in english), page


def test_production_settings_publish_absolute_public_urls(tmp_path):
    from tests.conftest import make_content, notice, run_build

    content = make_content(tmp_path, {"news/a.md": notice("a", "公開の設定")})
    env_free = run_build(content, tmp_path / "output", settings="publishconf.py")
    assert env_free.returncode == 0, env_free.stderr
    feed = feedparser.parse((tmp_path / "output" / "feeds" / "all.atom.xml").read_bytes())
    assert feed.entries[0].link == "https://www.pref.miyagi.jp/news/a/"
    sitemap = (tmp_path / "output" / "sitemap.xml").read_text("utf-8")
    assert "<loc>https://www.pref.miyagi.jp/news/a/</loc>" in sitemap
