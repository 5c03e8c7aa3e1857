"""Attachments in a real browser (issue #13 item 7): headless Chromium with JavaScript off
opens the attachments page of a draft on the site's origin, chooses a file, and its plain
HTML form posts it straight to the S3 of the moto server (the presigned POST); S3 sends the
browser back (success_action_redirect) to the app, which checks the bytes and shows the
page again: the file kept, or the reason it was refused (a renamed executable). Nothing
blocked by the Content-Security-Policy on the way (its form-action names the bucket), and
every state of the page passes the accessibility gate at both widths.

The stack is started for this module with the site's address known in advance, so S3's
redirect leads back to the site, as in production."""

import shutil
import threading
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

import tests.functions.conftest as live
from hiroba_core.store.attachments import AttachmentStore
from hiroba_core.store.procedures import ProceduresStore
from infra.a11y import gate
from infra.local.stack import LocalStack, SiteServer, free_port, site_handler
from tests.browser import test_comment_form
from tests.functions.test_attachments import (
    JPEG,
    PDF,
    TEXT,
    TOO_BIG,
    WINDOWS_EXE,
    verified_draft,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
content = live.content
browser_without_script = test_comment_form.browser_without_script
PROCEDURE = "sendai-jumin-yuso"  # 仙台市: 本人確認書類 (required), 委任状 (optional)
PAGE = f"/api/procedures/attachments/{PROCEDURE}"
WAIT = 15


@pytest.fixture(scope="module")
def upload_stack(tmp_path_factory, content):
    port = free_port()
    stack = LocalStack(
        tmp_path_factory.mktemp("attachments-stack"),
        content=content,
        site_url=f"http://127.0.0.1:{port}",
    ).start()
    stack.site_port = port
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def base(tmp_path_factory, upload_stack):
    """The site's origin: its stylesheet, and the apps behind /api/ (no build needed)."""
    folder = tmp_path_factory.mktemp("attachments-site")
    shutil.copytree(ROOT / "theme" / "static", folder / "theme")
    server = SiteServer(
        ("127.0.0.1", upload_stack.site_port), site_handler(folder, upload_stack.apps)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{upload_stack.site_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    made = {
        "本人確認.pdf": PDF,
        "委任状.jpg": JPEG,
        "委任状.pdf": WINDOWS_EXE,  # a Windows program renamed
        "委任状の文.pdf": TEXT,  # text named .pdf
        "大きな委任状.pdf": TOO_BIG,  # 10 MB and a byte
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def store(upload_stack):
    return AttachmentStore(upload_stack.settings())


def open_draft(driver, base, stack):
    """A new draft of the online form, its address verified: its id in the draft cookie
    of the site's origin, then its attachments page."""
    draft = verified_draft(ProceduresStore(stack.settings()), PROCEDURE)
    driver.get(base + "/theme/css/hiroba.css")
    driver.delete_all_cookies()
    driver.add_cookie({"name": "hiroba-draft", "value": draft, "path": "/"})
    driver.get(base + PAGE)
    until_text(driver, "添付書類")
    return draft


def main_text(driver):
    try:
        return driver.find_element(By.TAG_NAME, "main").text
    except Exception:
        return ""


def until_text(driver, text):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if text in main_text(driver):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on {driver.current_url}:\n{driver.page_source[:3000]}")


def attach(driver, kind, path):
    """Choose the file in the document's input and press its form's button."""
    field = driver.find_element(By.ID, f"attachment-{kind}")
    field.send_keys(str(path))
    field.find_element(By.XPATH, "ancestor::form//button").click()


def test_without_script_a_file_goes_to_the_bucket_and_a_renamed_program_is_refused(
    browser_without_script, base, files, store, upload_stack
):
    driver = browser_without_script
    draft = open_draft(driver, base, upload_stack)
    assert "まだ添付していません" in main_text(driver)
    form = driver.find_element(By.ID, "attachment-1").find_element(By.XPATH, "ancestor::form")
    assert form.get_attribute("action").startswith(store.settings.s3_endpoint)
    attach(driver, "1", files / "本人確認.pdf")
    until_text(driver, "「本人確認.pdf」を添付しました")
    assert driver.current_url.startswith(base + PAGE + "?added=")
    row = driver.find_element(By.CSS_SELECTOR, "table.hiroba-attachments tbody tr").text
    assert "本人確認書類の写し" in row and "本人確認.pdf（PDF）" in row
    prefix = f"drafts/041009/{draft}/"
    (kept,) = [o.key for o in store.list(prefix)]
    assert f"{prefix}files/1/" in kept and kept.endswith("/本人確認.pdf")
    # the first document is full: its form is gone; a program named .pdf for the second
    assert not driver.find_elements(By.CSS_SELECTOR, "input#attachment-1")
    attach(driver, "2", files / "委任状.pdf")
    until_text(driver, "ファイルを添付できませんでした")
    summary = driver.find_element(By.CLASS_NAME, "hiroba-error-summary")
    link = summary.find_element(By.TAG_NAME, "a")
    assert link.text.startswith("プログラム（実行ファイル）は添付できません")
    assert link.get_attribute("href").endswith("#attachment-2")
    message = driver.find_element(By.ID, "attachment-2-error").text
    assert "プログラム（実行ファイル）は添付できません" in message
    assert [o.key for o in store.list(prefix)] == [kept]  # the program is not kept
    for name, reason in (
        ("委任状の文.pdf", "PDF、JPEG、PNGのファイルを選んでください"),
        ("大きな委任状.pdf", "ファイルが大きすぎます。10MB以下のファイルにしてください"),
    ):
        attach(driver, "2", files / name)
        until_text(driver, reason)
        assert reason in driver.find_element(By.ID, "attachment-2-error").text
        assert [o.key for o in store.list(prefix)] == [kept]
    # delete the one file: the draft's folder is empty again
    driver.find_element(By.XPATH, "//button[normalize-space()='削除する']").click()
    until_text(driver, "ファイルを削除しました")
    assert "まだ添付していません" in main_text(driver)
    assert store.list(prefix) == []


def no_violations(driver, label):
    findings = []
    for width in gate.WIDTHS:
        gate.set_width(driver, width)
        found, _, _ = gate.axe_findings(driver, label, width)
        findings += found
        assert gate.horizontal_overflow(driver) == 0 or width != 320, label
    gate.set_width(driver, 1280)
    assert not findings, "\n".join(map(str, findings))


def test_every_state_of_the_attachments_page_passes_the_accessibility_gate(
    browser, base, files, upload_stack
):
    gate.preload_axe(browser)
    browser.set_script_timeout(60)
    gate.set_width(browser, 1280)
    open_draft(browser, base, upload_stack)
    no_violations(browser, "attachments: empty")
    attach(browser, "2", files / "委任状.pdf")
    until_text(browser, "ファイルを添付できませんでした")
    no_violations(browser, "attachments: refused")
    attach(browser, "1", files / "本人確認.pdf")
    until_text(browser, "を添付しました")
    attach(browser, "2", files / "委任状.jpg")
    until_text(browser, "「委任状.jpg」を添付しました")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.hiroba-attachments tbody tr")) == 2
    no_violations(browser, "attachments: every document attached")
    browser.find_element(By.XPATH, "//button[normalize-space()='削除する']").click()
    until_text(browser, "ファイルを削除しました")
    no_violations(browser, "attachments: deleted")
