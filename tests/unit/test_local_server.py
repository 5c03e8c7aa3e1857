"""The local server sends the charset each output is written in."""

import http.client
import threading
from http.server import ThreadingHTTPServer

from infra.local.stack import site_handler


def test_feature_phone_pages_are_shift_jis_and_the_site_utf8(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "index.html").write_bytes("<p>ポケットみやぎ</p>".encode("cp932"))
    (tmp_path / "index.html").write_text("<p>宮城県</p>", "utf-8")
    (tmp_path / "a.vtt").write_text("WEBVTT\n", "utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), site_handler(tmp_path, {}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        types = {}
        for path in ("/m/", "/m/index.html", "/", "/a.vtt"):
            connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            types[path] = response.getheader("Content-Type")
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
    assert types["/m/"] == types["/m/index.html"] == "text/html; charset=Shift_JIS"
    assert types["/"] == "text/html; charset=utf-8"
    assert types["/a.vtt"] == "text/vtt"


def test_missing_pages_get_the_sites_not_found_page(tmp_path):
    (tmp_path / "404.html").write_text("<p>ページが見つかりません</p>", "utf-8")
    (tmp_path / "news").mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), site_handler(tmp_path, {}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
        connection.request("GET", "/news/no-such-notice/")
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
    assert response.status == 404
    assert "ページが見つかりません" in body
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
