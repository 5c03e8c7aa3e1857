"""Attacks on the site and its hosting (issue #11, items 3, 13), each tried as an attacker
would: a script slipped into a page must be blocked and fail the browser tests, a page
must not be framable, and `make run` on a taken port must say so and stop.

The CloudFront and IAM side (items 3, 6, 12) is asserted on the generated templates in
tests/unit/test_hosting.py; the apps' answers in tests/security/test_api_attacks.py.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from hiroba_core import security_headers
from infra.a11y import gate
from infra.local.stack import site_handler

ROOT = Path(__file__).resolve().parents[2]

# What an attacker gets into a page when escaping fails somewhere: an inline script, an
# event handler, a javascript: link, an inline style that hides or fakes content.
INJECTED = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>お知らせ</title></head>
<body><main>
<h1>お知らせ</h1>
<p id="probe">変更されていません</p>
<script>document.getElementById('probe').textContent = '書き換えられました';</script>
<img src="/none.png" alt="" onerror="document.title = '乗っ取り'">
<p style="display:none" id="hidden">隠された文</p>
</main></body></html>
"""
# The same page as the site writes it: script from a file, no handlers, no inline style.
CLEAN = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>お知らせ</title>
<script src="/theme/js/probe.js" defer></script></head>
<body><main><h1>お知らせ</h1><p id="probe">変更されていません</p></main></body></html>
"""


@pytest.fixture(scope="module")
def browser():
    try:
        driver = gate.start_browser()
    except gate.BrowserMissing as missing:
        pytest.fail(str(missing))  # never a silent skip: CI must have a browser
    yield driver
    driver.quit()


@pytest.fixture
def pages(tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "injected.html").write_text(INJECTED, "utf-8")
    (tmp_path / "news" / "clean.html").write_text(CLEAN, "utf-8")
    (tmp_path / "theme" / "js").mkdir(parents=True)
    (tmp_path / "theme" / "js" / "probe.js").write_text(
        "document.getElementById('probe').textContent = 'ファイルのスクリプト';\n", "utf-8"
    )
    return tmp_path


@pytest.mark.browser
def test_an_injected_inline_script_is_blocked_and_fails_the_browser_gate(browser, pages):
    with gate.serve(pages) as base:
        result = gate.audit(browser, base, ["/news/injected.html"], widths=(1280,), reflow=False)
        assert browser.find_element("id", "probe").text == "変更されていません"
        assert browser.title == "お知らせ"  # the onerror handler did not run either
        assert browser.find_element("id", "hidden").is_displayed()  # style attribute ignored
    blocked = "\n".join(result.csp_violations)
    assert "/news/injected.html" in blocked
    assert "Executing inline script" in blocked
    assert "inline event handler" in blocked
    assert "Applying inline style" in blocked


@pytest.mark.browser
def test_the_sites_own_way_of_scripting_passes_the_gate(browser, pages):
    with gate.serve(pages) as base:
        result = gate.audit(browser, base, ["/news/clean.html"], widths=(1280,), reflow=False)
        assert browser.find_element("id", "probe").text == "ファイルのスクリプト"
    assert result.csp_violations == []


@pytest.mark.browser
def test_a_page_cannot_be_framed_by_another_site(browser, pages, tmp_path_factory):
    """Clickjacking: another origin frames a page of the site; the browser refuses."""
    attacker = tmp_path_factory.mktemp("attacker")
    with gate.serve(pages) as site_base:
        (attacker / "index.html").write_text(
            f'<!DOCTYPE html><html lang="en"><head><title>evil</title></head><body>'
            f'<iframe id="victim" src="{site_base}/news/clean.html"></iframe></body></html>',
            "utf-8",
        )
        # the attacker's page is plain HTTP without our headers, on another origin
        server = ThreadingHTTPServer(("127.0.0.1", 0), _plain_handler(attacker))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            gate.csp_violations(browser)
            browser.get(f"http://localhost:{server.server_address[1]}/index.html")
            time.sleep(0.5)  # the frame's navigation is refused asynchronously
            browser.switch_to.frame(browser.find_element("id", "victim"))
            framed = browser.execute_script("return document.body.innerText")
            browser.switch_to.default_content()
        finally:
            server.shutdown()
            server.server_close()
    assert "お知らせ" not in framed
    assert any("frame-ancestors" in m for m in gate.csp_violations(browser))


def _plain_handler(folder):
    class Plain(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    return partial(Plain, directory=str(folder))


def fetch(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, response
    finally:
        connection.close()


class FakeApp:
    """What site_handler needs of an AppProcess: the port of a real HTTP server."""

    def __init__(self, port):
        self.port, self.env = port, {}


def test_development_server_sends_the_production_headers_on_every_answer(tmp_path):
    (tmp_path / "index.html").write_text("<p>宮城県</p>", "utf-8")
    (tmp_path / "404.html").write_text("<p>ページが見つかりません</p>", "utf-8")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "index.html").write_bytes("<p>ポケットみやぎ</p>".encode("cp932"))
    (tmp_path / "theme").mkdir()
    (tmp_path / "theme" / "site.css").write_text("body{color:#0b0c0c}", "utf-8")

    # an app that sends its own policy (as the apps do for their feature-phone pages)
    own_policy = security_headers.MOBILE_CONTENT_SECURITY_POLICY

    class App(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Security-Policy", own_policy)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    app = ThreadingHTTPServer(("127.0.0.1", 0), App)
    apps = {"procedures": FakeApp(app.server_address[1])}
    server = ThreadingHTTPServer(("127.0.0.1", 0), site_handler(tmp_path, apps))
    for running in (app, server):
        threading.Thread(target=running.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        answers = {
            path: fetch(port, path)
            for path in ("/", "/theme/site.css", "/news/none/", "/m/", "/api/procedures/m/x")
        }
    finally:
        for running in (server, app):
            running.shutdown()
            running.server_close()
    assert [status for status, _ in answers.values()] == [200, 200, 404, 200, 200]
    for path in ("/", "/theme/site.css", "/news/none/"):
        response = answers[path][1]
        for name, value in security_headers.SECURITY_HEADERS.items():
            assert response.getheader(name) == value, (path, name)
    mobile = answers["/m/"][1]
    assert mobile.getheader("Content-Security-Policy") == own_policy
    assert "style-src-attr 'unsafe-inline'" in own_policy
    assert "script-src 'self' 'wasm-unsafe-eval'" in own_policy  # script as strict
    proxied = answers["/api/procedures/m/x"][1]
    assert proxied.getheaders().count(("Content-Security-Policy", own_policy)) == 1
    assert [k for k, _ in proxied.getheaders()].count("Content-Security-Policy") == 1
    assert proxied.getheader("X-Content-Type-Options") == "nosniff"  # the gap filled


# templates that write ポケットみやぎ (/m/): the banner macro's style attributes are in its
# mobile variant only
FEATURE_PHONE = ("mobile/", "components/emergency_banner/macro.html")
# the newsletter's HTML mail part: mail clients read no CSP and need <style> (inlined)
NOT_SERVED = ("newsletter/mail.html",)


def test_no_template_carries_inline_script_handlers_or_javascript_urls():
    """The policy forbids them; the templates must not need them (the feature-phone
    templates may colour with style attributes, which their policy allows)."""
    problems = []
    for path in sorted((ROOT / "theme" / "templates").rglob("*.html")):
        relative = path.relative_to(ROOT / "theme" / "templates").as_posix()
        if relative in NOT_SERVED:
            continue
        text = path.read_text("utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                problems.append(f"{path}: inline script {match.group(0)}")
        for pattern in (r"\son[a-z]+\s*=", r"javascript:", r"<style\b"):
            if re.search(pattern, text, re.IGNORECASE):
                problems.append(f"{path}: {pattern}")
        if re.search(r"\sstyle\s*=", text) and not relative.startswith(FEATURE_PHONE):
            problems.append(f"{path}: style attribute outside ポケットみやぎ")
    assert problems == []


def test_make_run_on_a_taken_port_says_so_in_one_line_and_stops(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "infra.local.serve", "--port", str(port), "--no-api"],
            cwd=ROOT,
            env={**os.environ, "HIROBA_OUTPUT": str(tmp_path / "output")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port} は使用中です" in lines[0]
    assert f"127.0.0.1:{port} is already in use" in lines[0]
    assert "make run PORT=" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "output").exists()  # refused before building anything
    assert elapsed < 15


@pytest.mark.browser
def test_search_still_works_under_the_policy(browser, site):
    """Pagefind compiles WebAssembly and loads its index with script: the one place the
    policy could break the site ('wasm-unsafe-eval' is there for it)."""
    with gate.serve(site) as base:
        gate.csp_violations(browser)
        browser.get(f"{base}/search/?q={quote('防災')}")
        WebDriverWait(browser, 15).until(
            lambda d: d.find_elements("css selector", "#hiroba-search-results li")
        )
        status = browser.find_element("id", "hiroba-search-status").text
    assert "「防災」の検索結果" in status
    assert gate.csp_violations(browser) == []
