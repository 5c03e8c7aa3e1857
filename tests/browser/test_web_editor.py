"""The web editor (/admin/): Decap CMS in Chromium, on the development server's handler, with
the local backend over a copy of a few content files (never the real content/)."""

import json
import shutil
import threading
from functools import partial

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from hiroba_core import security_headers
from hiroba_core.content import model
from infra.a11y import gate
from infra.local.stack import SiteServer, site_handler
from infra.local.web_editor import with_web_editor
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

NOTICE = "2026-04-15-jidoshazei-nofu"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A working tree with a copy of content/ (the editor never writes to the real one)."""
    repo = tmp_path_factory.mktemp("editor-repo")
    shutil.copytree(ROOT / "content", repo / "content")
    return repo


@pytest.fixture(scope="module")
def editor_url(site, repo):
    """The built site served as `make run` serves it, with /admin/ under its own policy."""
    factory = with_web_editor(site_handler(site, {}), repo)

    class Handler(factory.func):
        def end_headers(self):
            policy = security_headers.content_security_policy(self.path.split("?")[0])
            self.send_header("Content-Security-Policy", policy)
            super().end_headers()

    server = SiteServer(("127.0.0.1", 0), partial(Handler, **factory.keywords))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def logged_in(browser, editor_url):
    """Open /admin/ and enter with the local backend (its login is a single button)."""
    # the accessibility gate leaves the shared browser emulating a phone's width, where
    # Decap folds its publish menu away: the editor is used on a desk
    gate.set_width(browser, 1280)
    browser.get(f"{editor_url}/admin/")
    wait = WebDriverWait(browser, 30)
    login = "//button[normalize-space(.)='ログイン']"
    collections = "//a[contains(@href, 'collections/news')]"
    # Decap remembers the session in the browser: the second time there is no button
    wait.until(lambda d: d.find_elements(By.XPATH, f"{login} | {collections}"))
    for button in browser.find_elements(By.XPATH, login):
        button.click()
    wait.until(lambda d: d.find_elements(By.XPATH, collections))
    return wait


def csp_violations(browser):
    return [e["message"] for e in browser.get_log("browser") if "Content Security" in e["message"]]


def test_the_login_screen_passes_the_accessibility_gate(browser, editor_url):
    """The first page of /admin/ every editor sees; the rest of Decap's screens are outside
    the gate (docs/web-editor.md says what axe finds there and why)."""
    login = "//button[normalize-space(.)='ログイン']"
    gate.preload_axe(browser)
    browser.get(f"{editor_url}/admin/")
    browser.execute_script("window.localStorage.clear()")  # forget a session of another test
    try:
        for width in gate.WIDTHS:
            gate.set_width(browser, width)
            browser.get(f"{editor_url}/admin/")
            # axe runs on what Decap has drawn, not on the empty page before it
            WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.XPATH, login))
            assert browser.find_elements(By.XPATH, "//a[normalize-space(.)='サイトに戻る']")
            findings, *_ = gate.axe_findings(browser, "/admin/", width)
            assert [str(finding) for finding in findings] == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_collection_lists_its_files(browser, site, repo, editor_url):
    wait = logged_in(browser, editor_url)
    config = json.loads((site / "admin" / "config.json").read_text("utf-8"))
    for collection in config["collections"]:
        name = collection["name"]
        browser.get(f"{editor_url}/admin/#/collections/{name}")
        cards = wait.until(
            lambda d, name=name: d.find_elements(
                By.CSS_SELECTOR, f"a[href*='/collections/{name}/entries/']"
            )
        )
        assert cards, name
    assert csp_violations(browser) == []


def test_the_new_notice_form_shows_the_model_fields_with_their_required_flags(
    browser, site, editor_url
):
    wait = logged_in(browser, editor_url)
    browser.get(f"{editor_url}/admin/#/collections/news/new")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "input[id^='title-field']"))
    config = json.loads((site / "admin" / "config.json").read_text("utf-8"))
    news = next(c for c in config["collections"] if c["name"] == "news")
    labels = {
        label.get_attribute("for").rsplit("-field-", 1)[0]: label.text
        for label in browser.find_elements(By.CSS_SELECTOR, "label[for*='-field-']")
    }
    front_matter = {f["name"] for f in news["fields"]} - {"body"}
    assert front_matter <= set(model.FIELDS)
    assert {"title", "slug", "summary", "department", "date", "category"} <= front_matter
    for name in front_matter:
        assert name in labels, name
        assert model.FIELDS[name] in labels[name]
        # Decap marks what may be left empty; the model's required fields are not marked
        optional = "任意" in labels[name]
        assert optional == (name not in model.REQUIRED["article"]), (name, labels[name])
    departments = browser.find_element(By.CSS_SELECTOR, "[id^='department-field']")
    assert departments.is_displayed()
    assert csp_violations(browser) == []


def test_an_edit_saved_in_the_editor_changes_only_that_line_of_the_markdown_file(
    browser, repo, editor_url
):
    path = repo / "content" / "news" / f"{NOTICE}.md"
    before = path.read_text("utf-8")
    wait = logged_in(browser, editor_url)
    browser.get(f"{editor_url}/admin/#/collections/news/entries/{NOTICE}")
    title = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "input[id^='title-field']"))[0]
    assert (
        title.get_attribute("value")
        == "自動車税（種別割）はスマートフォンやクレジットカードでも納付できます"
    )
    title.send_keys(Keys.END, "（更新）")
    wait.until(lambda d: d.find_elements(By.XPATH, "//*[normalize-space(text())='公開']"))[
        0
    ].click()
    publish = wait.until(
        lambda d: d.find_elements(By.XPATH, "//*[@role='menuitem'][normalize-space(.)='公開する']")
    )
    publish[0].click()
    wait.until(lambda d: path.read_text("utf-8") != before)
    after = path.read_text("utf-8")
    assert len(after.splitlines()) == len(before.splitlines())
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), after.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [
        (
            "Title: 自動車税（種別割）はスマートフォンやクレジットカードでも納付できます",
            "Title: 自動車税（種別割）はスマートフォンやクレジットカードでも納付できます（更新）",
        )
    ]
    assert csp_violations(browser) == []


def choose(browser, name, text):
    """Pick an option of a select field (react-select) by typing part of its label."""
    field = browser.find_element(By.CSS_SELECTOR, f"input[id^='{name}-field']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
    field.send_keys(text)
    field.send_keys(Keys.ENTER)


def test_a_translation_made_in_the_editor_is_a_new_file_beside_the_original(
    browser, repo, editor_url
):
    news = repo / "content" / "news"
    before = set(news.iterdir())
    wait = logged_in(browser, editor_url)
    browser.get(f"{editor_url}/admin/#/collections/news/new")
    title = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "input[id^='title-field']"))[0]
    title.send_keys("Online applications: new procedures")
    browser.find_element(By.CSS_SELECTOR, "input[id^='slug-field']").send_keys("denshi-shinsei")
    summary = browser.find_element(By.CSS_SELECTOR, "textarea[id^='summary-field']")
    summary.send_keys("More procedures can be done online.")
    choose(browser, "department", "zeimu")
    choose(browser, "category", "くらし")
    choose(browser, "lang", "English")
    now = browser.find_elements(By.XPATH, "//button[normalize-space(.)='現時刻']")[0]
    browser.execute_script("arguments[0].click()", now)  # the Date field's "now"
    browser.find_element(By.XPATH, "//*[normalize-space(text())='公開']").click()
    wait.until(
        lambda d: d.find_elements(By.XPATH, "//*[@role='menuitem'][normalize-space(.)='公開する']")
    )[0].click()
    wait.until(lambda d: set(news.iterdir()) != before)
    (created,) = set(news.iterdir()) - before
    text = created.read_text("utf-8")
    front = model.read_front_matter(text).values
    assert created.name == f"{front['date'][:10]}-denshi-shinsei.en.md"
    assert front["lang"] == "en" and front["slug"] == "denshi-shinsei"
    assert front["department"] == "zeimu" and front["category"] == "くらし・環境"
    model.parse_datetime(front["date"])
    assert "file_name" not in front and "key_order" not in front
