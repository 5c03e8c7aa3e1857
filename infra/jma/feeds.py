"""JMA's PULL feeds (Atom): which reports appeared, fetched politely.

JMA publishes its 防災情報XML as Atom feeds — `regular.xml` (定時), `extra.xml` (随時:
気象警報・注意報, 土砂災害警戒情報 …) and `eqvol.xml` (地震・火山: 津波警報, 震源・震度に関する
情報 …) — each entry naming one report by its title and linking to the XML document. A feed
is asked for with If-Modified-Since (its last Last-Modified) and never more often than once
a minute; a 304 costs JMA nothing.
"""

import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
FEEDS = (
    "https://www.data.jma.go.jp/developer/xml/feed/extra.xml",
    "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
)
# entry titles of the kinds we read (the feed title of each report kind, as JMA lists it)
WANTED_TITLES = (
    "気象特別警報・警報・注意報",
    "気象警報・注意報",
    "土砂災害警戒情報",
    "津波警報・注意報・予報",
    "震源・震度に関する情報",
)
MIN_INTERVAL = 60  # seconds between two requests for one feed
TIMEOUT = 10
USER_AGENT = "Hiroba-JMA-poller/1.0 (Miyagi Prefecture; +https://www.pref.miyagi.jp/)"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: datetime
    url: str


class FeedError(OSError):
    """The feed could not be read this time; the next poll tries again."""


def wanted(title):
    # JMA suffixes some titles (津波警報・注意報・予報a, 気象警報・注意報（Ｈ２７）)
    return any(title.startswith(prefix) for prefix in WANTED_TITLES)


def entries(data):
    """The feed's entries of the kinds we read, oldest first."""
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        raise FeedError(f"feed is not well-formed XML: {error}") from None
    found = []
    for entry in root.iterfind(f"{{{ATOM}}}entry"):
        title = (entry.findtext(f"{{{ATOM}}}title") or "").strip()
        link = entry.find(f"{{{ATOM}}}link")
        if not wanted(title) or link is None or not link.get("href"):
            continue
        try:
            updated = datetime.fromisoformat(entry.findtext(f"{{{ATOM}}}updated").strip())
        except (AttributeError, ValueError):
            continue
        entry_id = (entry.findtext(f"{{{ATOM}}}id") or link.get("href")).strip()
        found.append(Entry(entry_id, title, updated, link.get("href")))
    found.sort(key=lambda e: (e.updated, e.id))
    return found


def get(url, last_modified=None):
    """(status, body, Last-Modified) of a GET; 304 when unchanged since `last_modified`."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.read(), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return 304, b"", last_modified
        raise FeedError(f"{url}: HTTP {error.code}") from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError) as error:
        raise FeedError(f"{url}: {error}") from None
