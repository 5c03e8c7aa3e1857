"""Payments in a real browser (issue #14): headless Chromium with JavaScript off pays an
application's fee on the sandbox acquirer's card page (success, declined, cancel and
return), pays a tax notice with Pay-easy at the sandbox bank's ATM, and sees a refund on the
receipt; every payment page passes the accessibility gate at both widths.

The stack is started for this module with the site's address known in advance, so the
acquirer sends the resident back to the site (as in production) and its notifications go
through the site's proxy."""

import time
import uuid

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By

import tests.functions.conftest as live
from hiroba_core import tokens
from infra.a11y import gate
from infra.local.stack import LocalStack, free_port
from tests.browser import test_comment_form
from tests.functions.test_procedures_api import applied, body

pytestmark = pytest.mark.browser

content = live.content
browser_without_script = test_comment_form.browser_without_script
WAIT = 15


@pytest.fixture(scope="module")
def pay_stack(tmp_path_factory, content):
    port = free_port()
    stack = LocalStack(
        tmp_path_factory.mktemp("pay-stack"),
        env={"HIROBA_RATE_LIMIT": "100", "HIROBA_INQUIRY_RATE_LIMIT": "100"},
        content=content,
        site_url=f"http://127.0.0.1:{port}",
    ).start()
    stack.site_port = port
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def pay_site(tmp_path_factory, pay_stack, content):
    yield from live.serve_site(tmp_path_factory, pay_stack, content, port=pay_stack.site_port)


@pytest.fixture(scope="module")
def base(pay_site):
    return f"http://{pay_site.host}:{pay_site.port}"


@pytest.fixture(scope="module")
def procedures(pay_stack):
    return live.Api(pay_stack.apps["procedures"].url)


def fee_numbers(procedures, copies=1):
    made = applied(procedures, body(answers={"copies": copies}))
    return made["reference"], made["inquiry_code"]


def fill(driver, field_id, text):
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(text)


def press(driver, text):
    driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']").click()


def main_text(driver):
    """The page's main text; "" while a page without one (or one being left) shows."""
    try:
        return driver.find_element(By.TAG_NAME, "main").text
    except WebDriverException:
        return ""


def until_text(driver, text, reload=False):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if text in main_text(driver):
            return
        if reload:
            driver.refresh()
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on {driver.current_url}:\n{driver.page_source[:3000]}")


def to_card_page(driver, base, reference, code):
    """The status inquiry without script: 未納, then the payment form, to the card page."""
    driver.get(base + "/procedures/status/")
    fill(driver, "inquiry-reference", reference)
    fill(driver, "inquiry-code", code)
    press(driver, "照会する")
    until_text(driver, "未納")
    assert driver.find_element(By.ID, "pay-method-card").is_selected()
    driver.find_element(By.XPATH, "//button[contains(., '円を支払う')]").click()
    until_text(driver, "カードのお支払い画面へ進む")
    driver.find_element(By.LINK_TEXT, "カードのお支払い画面へ進む").click()
    until_text(driver, "カードでのお支払い")


def card(driver, number):
    fill(driver, "card_number", number)
    fill(driver, "expiry", "12/30")
    fill(driver, "cvc", "123")


def no_violations(driver, label):
    """axe on the page the browser is showing, at both widths."""
    findings = []
    for width in gate.WIDTHS:
        gate.set_width(driver, width)
        found, _, _ = gate.axe_findings(driver, label, width)
        findings += found
    gate.set_width(driver, 1280)
    assert not findings, "\n".join(map(str, findings))


def test_without_script_a_fee_is_paid_by_card_and_the_inquiry_says_paid(
    browser_without_script, base, procedures, pay_stack
):
    driver = browser_without_script
    reference, code = fee_numbers(procedures, copies=2)
    to_card_page(driver, base, reference, code)
    assert "800円を支払う" in driver.page_source
    card(driver, "4111 1111 1111 1111")
    press(driver, "800円を支払う")
    until_text(driver, "お支払いを受け付けました")  # the receipt (領収), after re-reading
    assert driver.current_url.startswith(base + "/api/procedures/payments/")
    assert "800円" in main_text(driver) and "クレジットカード" in main_text(driver)
    driver.get(base + "/procedures/status/")
    fill(driver, "inquiry-reference", reference)
    fill(driver, "inquiry-code", code)
    press(driver, "照会する")
    until_text(driver, "800円（納付済）")
    assert "手数料のお支払い" not in main_text(driver)


def test_without_script_a_declined_card_and_a_cancel_come_back_unpaid(
    browser_without_script, base, procedures
):
    driver = browser_without_script
    reference, code = fee_numbers(procedures)
    to_card_page(driver, base, reference, code)
    card(driver, "4000 0000 0000 0002")
    press(driver, "400円を支払う")
    until_text(driver, "カード会社がこのお支払いを承認しませんでした")
    assert "カードが使えませんでした" in main_text(driver)
    # cancel and return: a new attempt from the inquiry, abandoned on the card page
    to_card_page(driver, base, reference, code)
    press(driver, "支払いをやめて戻る")
    until_text(driver, "お支払いを取りやめました")
    driver.get(base + "/procedures/status/")
    fill(driver, "inquiry-reference", reference)
    fill(driver, "inquiry-code", code)
    press(driver, "照会する")
    until_text(driver, "400円（未納）")


def test_without_script_a_tax_notice_is_paid_with_pay_easy_at_the_sandbox_atm(
    browser_without_script, base, pay_stack
):
    driver = browser_without_script
    driver.get(base + "/procedures/pay-tax/")
    fill(driver, "notice-number", "4026-0501-0004-5678")
    fill(driver, "notice-confirmation", "660981")
    press(driver, "納付額を確かめる")
    until_text(driver, "25,000円")
    driver.find_element(By.XPATH, "//label[@for='pay-method-payeasy']").click()
    press(driver, "25,000円を支払う")
    until_text(driver, "ペイジーの番号")
    numbers = {
        row.find_element(By.XPATH, "preceding-sibling::dt[1]").text: row.text
        for row in driver.find_elements(By.CSS_SELECTOR, "dd")
    }
    payment_page = driver.current_url
    assert len(numbers["収納機関番号"]) == 5 and len(numbers["確認番号"]) == 6
    driver.get(pay_stack.sandbox.url + "/bank/")
    fill(driver, "collector", numbers["収納機関番号"])
    fill(driver, "customer", numbers["お客様番号"])
    fill(driver, "confirmation", numbers["確認番号"])
    press(driver, "次へ")
    until_text(driver, "25,000円")
    press(driver, "現金で支払う")
    until_text(driver, "お支払いが完了しました")
    driver.get(payment_page)
    until_text(driver, "納付済", reload=True)  # the bank's notification, not the browser
    driver.find_element(By.LINK_TEXT, "領収の画面を見る").click()
    until_text(driver, "ペイジー")


def test_a_refund_shows_on_the_receipt(browser_without_script, base, procedures, pay_stack):
    driver = browser_without_script
    reference, code = fee_numbers(procedures, copies=3)
    to_card_page(driver, base, reference, code)
    card(driver, "4111111111111111")
    press(driver, "1,200円を支払う")
    until_text(driver, "お支払いを受け付けました")
    receipt = driver.current_url
    pid = receipt.rsplit("/", 2)[1]
    token = tokens.mint(pay_stack.jwt_secret, "tester", "approver", "zeimu", 600)
    reply = procedures.request(
        "POST",
        f"/staff/payments/{pid}/refunds",
        {"amount": 400, "reason": "1通分の申請取下げ"},
        {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status == 201, reply
    driver.get(receipt)
    until_text(driver, "返金")
    assert "400円" in main_text(driver)


def test_every_payment_page_passes_the_accessibility_gate(browser, base, procedures, pay_stack):
    gate.preload_axe(browser)
    browser.set_script_timeout(60)
    gate.set_width(browser, 1280)
    # the tax payment form (a page of the site) and the notice's amount with the choice
    result = gate.audit(browser, base, ["/procedures/pay-tax/"])
    assert not result.findings, "\n".join(map(str, result.findings))
    fill(browser, "notice-number", "4026110100078901")
    fill(browser, "notice-confirmation", "738206")
    press(browser, "納付額を確かめる")
    until_text(browser, "43,700円")
    no_violations(browser, "tax notice")
    # an error summary (wrong numbers)
    browser.get(base + "/procedures/pay-tax/")
    fill(browser, "notice-number", "4026110100078901")
    fill(browser, "notice-confirmation", "000000")
    press(browser, "納付額を確かめる")
    until_text(browser, "番号")
    no_violations(browser, "tax notice refused")
    # the fee's payment form under the status, the Pay-easy page, the status and the receipt
    reference, code = fee_numbers(procedures)
    browser.get(base + "/procedures/status/")
    fill(browser, "inquiry-reference", reference)
    fill(browser, "inquiry-code", code)
    press(browser, "照会する")
    until_text(browser, "未納")
    no_violations(browser, "status with the payment form")
    browser.find_element(By.XPATH, "//label[@for='pay-method-payeasy']").click()
    browser.find_element(By.XPATH, "//button[contains(., '円を支払う')]").click()
    until_text(browser, "ペイジーの番号")
    no_violations(browser, "Pay-easy numbers")
    # a paid one: its receipt, and the payment's page
    reference, code = fee_numbers(procedures)
    to_card_page(browser, base, reference, code)
    no_violations(browser, "sandbox card page")
    card(browser, "4111111111111111")
    press(browser, "400円を支払う")
    until_text(browser, "お支払いを受け付けました")
    no_violations(browser, "receipt")
    browser.get(browser.current_url.rsplit("/", 1)[0])
    until_text(browser, "納付済")
    no_violations(browser, "payment status")


def test_the_refused_and_failed_payment_pages_pass_the_accessibility_gate(
    browser, base, procedures
):
    gate.preload_axe(browser)
    browser.set_script_timeout(60)
    gate.set_width(browser, 1280)
    reference, code = fee_numbers(procedures)
    browser.get(base + "/procedures/status/")
    fill(browser, "inquiry-reference", reference)
    fill(browser, "inquiry-code", code)
    press(browser, "照会する")
    until_text(browser, "未納")
    fill(browser, "pay-email", "not an address")
    browser.find_element(By.XPATH, "//button[contains(., '円を支払う')]").click()
    until_text(browser, "メールアドレスは name@example.jp のように入力してください")
    link = browser.find_element(By.CSS_SELECTOR, ".hiroba-error-summary__list a")
    assert link.get_attribute("href").endswith("/procedures/status/#pay-email")
    no_violations(browser, "payment refused")
    to_card_page(browser, base, reference, code)
    card(browser, "4000000000000002")
    press(browser, "400円を支払う")
    until_text(browser, "承認しませんでした")
    no_violations(browser, "payment declined")
