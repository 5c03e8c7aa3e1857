"""JMA's PULL feeds on loopback: the fixture reports (tests/fixtures/jma/, written from
JMA's published format) served as JMA serves them, with Last-Modified and
If-Modified-Since, and every request recorded."""

import functools
import os
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jma"
# report file -> (entry title as JMA lists it, author)
TITLES = {
    "vtse41": ("津波警報・注意報・予報a", "気象庁"),
    "vpww54": ("気象警報・注意報（Ｈ２７）", "仙台管区気象台"),
    "vxww50": ("土砂災害警戒情報", "仙台管区気象台"),
    "vxse53": ("震源・震度に関する情報", "気象庁"),
}


def atom(base, name, entries):
    """An Atom feed as JMA publishes it; entries are (report file, updated ISO 8601 UTC)."""
    items = []
    for report, updated in entries:
        title, author = TITLES[report.split("-")[0]]
        url = f"{base}/data/{report}"
        items.append(
            f"<entry>\n<title>{escape(title)}</title>\n<id>{url}</id>\n"
            f"<updated>{updated}</updated>\n<author><name>{author}</name></author>\n"
            f'<link type="application/xml" href="{url}"/>\n'
            f'<content type="text/plain">【{escape(title)}】</content>\n</entry>\n'
        )
    newest = max((u for _, u in entries), default="2026-11-27T00:00:00Z")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'lang="ja">\n<title>{name}</title>\n<subtitle>JMAXML publishing feed</subtitle>\n'
        f"<updated>{newest}</updated>\n<id>urn:uuid:{name}</id>\n"
        f'<link href="{base}/feed/{name}.xml" rel="self"/>\n'
        '<link href="http://xml.kishou.go.jp/" rel="related"/>\n'
        "<rights>Published by Japan Meteorological Agency</rights>\n" + "".join(items) + "</feed>\n"
    )


class JmaServer:
    """Serves /feed/<name>.xml and /data/<report> from a folder on 127.0.0.1."""

    def __init__(self, folder):
        self.folder = Path(folder)
        (self.folder / "feed").mkdir(parents=True, exist_ok=True)
        shutil.copytree(FIXTURES, self.folder / "data", dirs_exist_ok=True)
        self.requests = []  # (path, If-Modified-Since or None, status)
        self.asked_at = {}  # path -> time.time() of the last request (the benchmark)
        self._clock = time.time() - 3600
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def send_response(self, code, message=None):
                server.requests.append((self.path, self.headers.get("If-Modified-Since"), code))
                server.asked_at[self.path] = time.time()
                super().send_response(code, message)

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(self.folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, name):
        return f"{self.base}/feed/{name}.xml"

    def publish(self, name, entries):
        """Put the feed `name` with these entries in place, newer than before."""
        path = self.folder / "feed" / f"{name}.xml"
        path.write_text(atom(self.base, name, entries), "utf-8")
        self._clock += 10  # Last-Modified has one-second resolution
        os.utime(path, (self._clock, self._clock))

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
