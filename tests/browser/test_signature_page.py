"""署名検証 in a real browser with script off (issue #16): the public page of the built site
posts the chosen files as multipart/form-data to the procedures API, which answers with the
verdict as a page. The stack is the function tests' (moto, the apps, the built site behind
the same-origin proxy), trusting the tests' PKI (tests/signing_pki.py)."""

import pytest
from selenium.webdriver.common.by import By

import tests.functions.conftest as live
from tests.browser import test_comment_form
from tests.signing_pki import tampered

pytestmark = pytest.mark.browser

content = live.content
stack = live.stack
site = live.site
pki = live.pki
base = test_comment_form.base
browser_without_script = test_comment_form.browser_without_script
wait = test_comment_form.wait
PAGE = "/procedures/verify/"


def check(driver, origin, files, button):
    """Open the page, choose `files` ({control id: path}), press the form's button."""
    driver.get(origin + PAGE)
    for control_id, path in files.items():
        driver.find_element(By.ID, control_id).send_keys(str(path))
    form = driver.find_element(By.ID, next(iter(files))).find_element(By.XPATH, "ancestor::form")
    form.find_element(By.XPATH, f".//button[normalize-space()='{button}']").click()
    wait(driver).until(lambda d: "署名検証の結果" in d.title or "誤り" in d.title)
    return driver.find_element(By.TAG_NAME, "main").text


def test_without_script_a_signed_pdf_and_a_detached_signature_are_checked(
    browser_without_script, base, pki, tmp_path
):
    driver = browser_without_script
    signed = pki.good.sign_pdf(pki.document)
    (tmp_path / "kofu.pdf").write_bytes(signed)
    shown = check(driver, base, {"verify-pdf": tmp_path / "kofu.pdf"}, "PDFの署名を確かめる")
    assert "署名は有効です" in shown and "宮城 花子" in shown
    assert (
        "テスト ルート" in shown and "失効していません" in shown and "変更されていません" in shown
    )

    (tmp_path / "kaizan.pdf").write_bytes(tampered(signed))
    shown = check(driver, base, {"verify-pdf": tmp_path / "kaizan.pdf"}, "PDFの署名を確かめる")
    assert "署名は有効ではありません" in shown and "変更されています" in shown

    data = "申請書の本文".encode()
    (tmp_path / "shinsei.txt").write_bytes(data)
    (tmp_path / "shinsei.p7s").write_bytes(pki.revoked.detached(data))
    shown = check(
        driver,
        base,
        {"verify-file": tmp_path / "shinsei.txt", "verify-signature": tmp_path / "shinsei.p7s"},
        "ファイルの署名を確かめる",
    )
    assert "署名は有効ではありません" in shown and "失効しています" in shown

    # a file without its signature: the list of what to choose links back to the field
    shown = check(
        driver, base, {"verify-file": tmp_path / "shinsei.txt"}, "ファイルの署名を確かめる"
    )
    assert "署名ファイルを選んでください" in shown
    link = driver.find_element(By.LINK_TEXT, "署名ファイルを選んでください")
    assert link.get_attribute("href").endswith(PAGE + "#verify-signature")
