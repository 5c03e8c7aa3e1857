"""The comment form in a real browser, against the real stack (issue #6): headless Chromium
with script switched off posts the HTML form and follows the API's 303 to the receipt page;
with script on, comment-form.js sends JSON and shows errors and the receipt in the page.

The stack is the one the function tests use (tests/functions/conftest.py): moto DynamoDB on
loopback, both Chalice apps, an SMTP sink, and the built site behind the same-origin proxy,
with consultations open by the real clock. What the browser did is read back through the
staff API and the mail sink.
"""

import email
import email.policy
import re
import time
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

import tests.functions.conftest as live
from infra.a11y import gate

pytestmark = pytest.mark.browser

# The function tests' session fixtures, registered for this module. `site` here is the
# proxied site (an Api on its origin), not the path of the root conftest's build.
content = live.content
stack = live.stack
site = live.site
api = live.api
staff_token = live.staff_token

PAGE = "/consultations/open-one/"
ACTION = "/api/publishing/consultations/open-one/comments"
RECEIPT = re.compile(r"^[34679ACEFGHJKMNPRTUVWXY]{4}-[34679ACEFGHJKMNPRTUVWXY]{4}$")
WAIT = 15  # seconds; every wait ends as soon as its condition holds

# A page that shows whether script runs: the inline script rewrites #probe, <noscript> shows.
SCRIPT_PROBE = (
    "data:text/html;charset=utf-8,<p id=probe>off</p><noscript><p id=ns>noscript</p></noscript>"
    "<script>document.getElementById('probe').textContent='on'</script>"
)


@pytest.fixture(scope="module")
def base(site):
    return f"http://{site.host}:{site.port}"


@pytest.fixture(scope="module")
def browser_without_script():
    """A second headless Chromium, started like the gate's, with JavaScript disabled for
    every document it loads (DevTools' "Disable JavaScript"). Checked before use: an
    inline script must not run and <noscript> must render."""
    try:
        driver = gate.start_browser()
    except gate.BrowserMissing as missing:
        pytest.fail(str(missing))  # never a silent skip: CI must have a browser
    try:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(SCRIPT_PROBE)
        assert driver.find_element(By.ID, "probe").text == "off", "script still runs"
        assert driver.find_element(By.ID, "ns").is_displayed()
    except BaseException:
        driver.quit()
        raise
    yield driver
    driver.quit()


@pytest.fixture
def browser_with_script(browser):
    """The session's JavaScript-enabled browser, at desktop width (other tests change it)."""
    gate.set_width(browser, 1280)
    browser.get(SCRIPT_PROBE)
    assert browser.find_element(By.ID, "probe").text == "on"
    return browser


def wait(driver):
    return WebDriverWait(driver, WAIT, poll_frequency=0.05)


def staff_comments(api, staff_token):
    reply = api.request(
        "GET",
        "/staff/consultations/open-one/comments",
        headers={"Authorization": f"Bearer {staff_token()}"},
    )
    assert reply.status == 200, reply
    return {c["receipt_number"]: c for c in reply.json()["comments"]}


COPY_LINK = re.compile(r"(/api/publishing/comments/copy\?token=\S+)")


def copy_sent_to(stack, address):
    """The texts of the mails the SMTP sink received for `address` (subject, then body)."""
    texts = []
    for path in stack.mail.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            texts.append(f"{message['Subject']}\n{message.get_content()}")
    return texts


def field(driver, control_id):
    return driver.find_element(By.ID, control_id)


def focused_id(driver):
    return driver.execute_script("return document.activeElement && document.activeElement.id")


# --- without JavaScript: the HTML form, the 303 and the API's own pages -------------------


def test_without_script_a_comment_ends_on_the_receipt_page(
    browser_without_script, browser, base, api, staff_token, stack
):
    driver = browser_without_script
    address = f"nojs-{uuid.uuid4().hex[:12]}@example.jp"
    driver.get(base + PAGE)
    form = driver.find_element(By.CSS_SELECTOR, "form[data-comment-form]")
    assert form.get_attribute("action") == base + ACTION
    assert field(driver, "comment-website").get_attribute("value") == ""  # honeypot
    # the script would have fetched a ticket by now; without it the field stays empty
    assert driver.find_element(By.NAME, "ticket").get_attribute("value") == ""

    field(driver, "comment-answer-q1").send_keys("一行目の意見です。", Keys.ENTER, "二行目です。")
    field(driver, "comment-answer-q2").send_keys("特にありません。")
    field(driver, "comment-name").send_keys("宮城 花子")
    field(driver, "comment-email").send_keys(address)
    field(driver, "comment-address").send_keys("大崎市")
    Select(field(driver, "comment-age_group")).select_by_visible_text("30代")
    field(driver, "comment-send_copy").send_keys(Keys.SPACE)
    assert field(driver, "comment-send_copy").is_selected()
    # implicit submission: Enter in a text field sends the form, as a keyboard user would
    field(driver, "comment-address").send_keys(Keys.ENTER)

    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "h1.hiroba-panel__title")))
    assert driver.current_url.startswith(base + "/api/publishing/receipts/")
    number = driver.current_url.rsplit("/", 1)[1]
    shown = driver.find_element(By.CSS_SELECTOR, "main .hiroba-receipt-number").text
    assert RECEIPT.match(shown) and shown.replace("-", "") == number, (shown, number)
    assert driver.find_element(By.CSS_SELECTOR, "h1.hiroba-panel__title").text == "受け付けました"
    assert driver.title.startswith("受け付けました")
    # the POST answered 303 and the browser followed it with a GET: one redirect, and the
    # page is the receipt (a reload shows it again, it does not send the comment twice)
    navigation = driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0];"
        "return {redirects: n.redirectCount, type: n.type};"
    )
    assert navigation == {"redirects": 1, "type": "navigate"}, navigation
    body = driver.find_element(By.TAG_NAME, "main").text
    assert "テスト意見募集 open-one" in body and "宮城 花子" not in body and address not in body
    back = driver.find_element(By.LINK_TEXT, "意見募集のページに戻る")
    assert back.get_attribute("href") == base + PAGE
    # the receipt is a page of the site (#12): its header with the language switcher and
    # the navigation, the contact block, the footer; and it passes the accessibility gate
    header = driver.find_element(By.CSS_SELECTOR, "body > header.hiroba-header")
    assert header.find_element(By.CSS_SELECTOR, "nav.hiroba-languages a[lang=en]").text == "English"
    menu = header.find_element(By.CSS_SELECTOR, "nav.hiroba-nav").text
    assert "意見募集" in menu and "お知らせ" in menu
    assert driver.find_element(By.CSS_SELECTOR, "main section.hiroba-contact").is_displayed()
    footer = driver.find_element(By.CSS_SELECTOR, "body > footer.hiroba-footer").text
    assert "ウェブアクセシビリティ方針" in footer and "022-211-2111" in footer
    receipt_url = driver.current_url.removeprefix(base)
    result = gate.audit(browser, base, [receipt_url], widths=gate.WIDTHS)
    assert not result.findings, "\n".join(map(str, result.findings))
    assert result.reflow_failures == [] and result.csp_violations == []
    assert browser.find_element(By.CSS_SELECTOR, "main .hiroba-receipt-number").text == shown

    stored = staff_comments(api, staff_token)[shown]
    assert stored["answers"] == {"q1": "一行目の意見です。\n二行目です。", "q2": "特にありません。"}
    assert stored["personal"] == {
        "name": "宮城 花子",
        "email": address,
        "address": "大崎市",
        "age_group": "30代",
    }
    # the address is not verified: first only a link to confirm it, without the receipt
    (verification,) = copy_sent_to(stack, address)
    assert shown not in verification and "一行目の意見です。" not in verification
    assert "宮城 花子" not in verification
    link = COPY_LINK.search(verification).group(1)
    driver.get(base + link)  # what a mail scanner does too: it sends nothing
    assert len(copy_sent_to(stack, address)) == 1
    driver.find_element(By.XPATH, "//button[normalize-space()='控えを受け取る']").click()
    wait(driver).until(
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "h1.hiroba-panel__title"), "控えを送りました"
        )
    )
    (copy,) = [text for text in copy_sent_to(stack, address) if text != verification]
    # the copy holds the receipt, never what was written
    assert f"受付番号 {shown}" in copy and "一行目の意見です。" not in copy
    assert "宮城 花子" not in copy
    # back to the page of the link and the button again: the copy is sent only once
    driver.get(base + link)
    driver.find_element(By.XPATH, "//button[normalize-space()='控えを受け取る']").click()
    wait(driver).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, "h1.hiroba-panel__title"), "送信済み")
    )
    assert len(copy_sent_to(stack, address)) == 2


def test_without_script_errors_come_back_as_a_page_of_links_to_the_fields(
    browser_without_script, base, api, staff_token
):
    driver = browser_without_script
    before = staff_comments(api, staff_token)
    driver.get(base + PAGE)
    field(driver, "comment-email").send_keys("not-an-address")
    driver.find_element(By.CSS_SELECTOR, "form[data-comment-form] button[type=submit]").click()

    # the form page has a hidden summary (h3) for the script; the API's page has an h1
    wait(driver).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "h1.hiroba-error-summary__title"))
    )
    summary = driver.find_element(By.CSS_SELECTOR, "main .hiroba-error-summary")
    assert driver.current_url == base + ACTION  # the POST's own answer, no redirect
    assert summary.get_attribute("role") == "alert"
    assert summary.find_element(By.TAG_NAME, "h1").text == "入力内容に誤りがあります"
    assert "2件の入力内容を確認してください。" in summary.text
    links = [
        (a.text, a.get_attribute("href"))
        for a in summary.find_elements(By.CSS_SELECTOR, ".hiroba-error-summary__list a")
    ]
    assert links == [
        ("ご意見を入力してください", base + PAGE + "#comment-answer-q1"),
        (
            "メールアドレスを name@example.jp のような形で入力してください",
            base + PAGE + "#comment-email",
        ),
    ]
    assert driver.title.startswith("入力内容に誤りがあります")
    # the error page is a page of the site too, with its header and footer
    assert driver.find_element(By.CSS_SELECTOR, "body > header nav.hiroba-nav").is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, "body > footer.hiroba-footer").is_displayed()

    # the page says the browser's Back keeps what was typed: it does
    driver.back()
    wait(driver).until(EC.url_to_be(base + PAGE))
    email_field = wait(driver).until(EC.presence_of_element_located((By.ID, "comment-email")))
    assert email_field.get_attribute("value") == "not-an-address"

    # correct one field and send again: only the other is listed, its link leads to it
    email_field.clear()
    email_field.send_keys("hanako@example.jp", Keys.ENTER)
    link = wait(driver).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "main .hiroba-error-summary__list a"))
    )
    assert "1件の入力内容を確認してください。" in driver.find_element(By.TAG_NAME, "main").text
    assert len(driver.find_elements(By.CSS_SELECTOR, ".hiroba-error-summary__list a")) == 1
    assert link.text == "ご意見を入力してください"
    link.click()
    wait(driver).until(EC.url_to_be(base + PAGE + "#comment-answer-q1"))
    assert field(driver, "comment-answer-q1").tag_name == "textarea"
    assert staff_comments(api, staff_token) == before  # nothing was stored


# --- with JavaScript: JSON, inline errors, a focused summary, the receipt in the page -----


def test_with_script_errors_show_inline_and_the_summary_takes_focus_then_the_receipt(
    browser_with_script, base, api, staff_token, stack
):
    driver = browser_with_script
    address = f"js-{uuid.uuid4().hex[:12]}@example.jp"
    driver.get(base + PAGE)
    url = driver.current_url
    ticket = wait(driver).until(
        lambda d: d.find_element(By.NAME, "ticket").get_attribute("value") or False
    )
    # an empty answer, and a copy asked for without an address
    field(driver, "comment-send_copy").send_keys(Keys.SPACE)
    # The API turns away a form sent sooner than HIROBA_MIN_FILL_SECONDS after its ticket was
    # issued (a bot); a person takes longer than that, so the test waits for the same moment.
    ready = int(ticket.split(".", 1)[0]) + stack.settings().min_fill_seconds
    wait(driver).until(lambda d: time.time() >= ready)
    button = driver.find_element(By.CSS_SELECTOR, "form[data-comment-form] button[type=submit]")
    button.click()

    summary = driver.find_element(By.CSS_SELECTOR, "[data-error-summary]")
    wait(driver).until(EC.visibility_of(summary))
    assert driver.execute_script("return document.activeElement === arguments[0]", summary), (
        "the error summary does not have focus"
    )
    assert driver.current_url == url
    links = [
        (a.text, a.get_attribute("href"))
        for a in summary.find_elements(By.CSS_SELECTOR, "[data-error-list] a")
    ]
    assert links == [
        ("ご意見を入力してください", url + "#comment-answer-q1"),
        ("控えを受け取るにはメールアドレスを入力してください", url + "#comment-email"),
    ]
    for control, message in (
        ("comment-answer-q1", "ご意見を入力してください"),
        ("comment-email", "控えを受け取るにはメールアドレスを入力してください"),
    ):
        error = field(driver, f"{control}-error")
        assert error.is_displayed() and error.text == message
        assert field(driver, control).get_attribute("aria-invalid") == "true"
        described = field(driver, control).get_attribute("aria-describedby").split()
        assert described == [f"{control}-hint", f"{control}-error"]
        group = field(driver, control).find_element(By.XPATH, "ancestor::*[@data-field][1]")
        assert "hiroba-form-group--error" in group.get_attribute("class")
    assert not field(driver, "comment-name-error").is_displayed()
    assert field(driver, "comment-name").get_attribute("aria-invalid") is None

    # a link in the summary moves focus to its field, without leaving the page
    summary.find_element(By.LINK_TEXT, "ご意見を入力してください").click()
    wait(driver).until(lambda d: focused_id(d) == "comment-answer-q1")
    assert driver.current_url == url
    driver.switch_to.active_element.send_keys("スクリプトありで送る意見です。")
    field(driver, "comment-email").send_keys(address)
    button.click()

    receipt = driver.find_element(By.CSS_SELECTOR, "[data-receipt]")
    wait(driver).until(EC.visibility_of(receipt))
    shown = receipt.find_element(By.CSS_SELECTOR, "[data-receipt-number]").text
    assert RECEIPT.match(shown), shown
    assert driver.execute_script("return document.activeElement === arguments[0]", receipt)
    assert not driver.find_element(By.CSS_SELECTOR, "form[data-comment-form]").is_displayed()
    assert driver.current_url == url

    stored = staff_comments(api, staff_token)[shown]
    assert stored["answers"] == {"q1": "スクリプトありで送る意見です。"}
    assert stored["personal"] == {"email": address}
    (verification,) = copy_sent_to(stack, address)  # the copy waits for the address
    assert shown not in verification
    # the API's pages behind the link pass the same accessibility gate as the site's
    link = COPY_LINK.search(verification).group(1)
    refused = "/api/publishing/comments/copy?token=forged"
    result = gate.audit(driver, base, [link, refused], widths=(1280,))
    assert not result.findings, "\n".join(map(str, result.findings))
    assert result.reflow_failures == [] and result.csp_violations == []
    assert "24時間" in driver.find_element(By.TAG_NAME, "main").text  # the refused link
    gate.set_width(driver, 1280)
    driver.get(base + link)
    driver.find_element(By.XPATH, "//button[normalize-space()='控えを受け取る']").click()
    wait(driver).until(
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "h1.hiroba-panel__title"), "控えを送りました"
        )
    )
    findings, _, _ = gate.axe_findings(driver, "copy sent", 1280)
    assert not findings, "\n".join(map(str, findings))
    assert len(copy_sent_to(stack, address)) == 2
