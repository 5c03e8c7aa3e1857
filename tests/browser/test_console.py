"""The staff console in a real browser, against the real stack (the function tests' one:
moto's DynamoDB and cognito-idp on loopback, the apps, the site's proxy serving /staff/).

Without JavaScript: a member signs in with password and TOTP code, finds an application by
its 到達番号, moves it on, proposes 完了; an approver approves it; the resident's inquiry
says 完了; every step is in the audit trail. With JavaScript (for axe): every console page
passes the accessibility gate at both widths, and the keyboard walk.
"""

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import tests.functions.conftest as live
from infra.a11y import gate
from infra.local import cognito
from tests.browser.test_comment_form import browser_without_script  # noqa: F401 (fixture)
from tests.functions.test_procedures_api import applied, body, fields, inquire

pytestmark = pytest.mark.browser

content = live.content
stack = live.stack
site = live.site
procedures = live.procedures


@pytest.fixture(scope="module")
def base(site):
    return f"http://{site.host}:{site.port}"


def sign_in(driver, base, username, password):
    driver.get(base + "/staff/")
    assert "/staff/sign-in" in driver.current_url
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    for _ in range(3):  # a code read as its 30 seconds turn over is asked again
        driver.find_element(By.ID, "code").send_keys(cognito.code())
        submit(driver, driver.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
        if driver.current_url.rstrip("/").endswith("/staff"):
            return
    raise AssertionError(driver.page_source[:2000])


def wait(driver):
    return WebDriverWait(driver, 15, poll_frequency=0.05)


def submit(driver, button):
    """Press a form's button and wait for the next page (the form posts, the app redirects)."""
    # A mark on the old window object rather than an element reference: while Chrome swaps
    # documents, asking about an old element can fail with an error that is not "stale".
    driver.execute_script("window.hirobaLeaving = true")
    button.click()
    wait(driver).until(left_the_page)


def left_the_page(driver):
    try:
        return driver.execute_script(
            "return window.hirobaLeaving !== true && document.readyState === 'complete'"
        )
    except WebDriverException:  # the next document is still loading
        return False


def sign_out(driver):
    submit(driver, driver.find_element(By.CSS_SELECTOR, "header form button[type=submit]"))
    assert "サインアウトしました" in driver.find_element(By.TAG_NAME, "h1").text


def choose(driver, form_action, value, note):
    form = driver.find_element(By.CSS_SELECTOR, f"form[action$='{form_action}']")
    form.find_element(By.CSS_SELECTOR, f"input[value='{value}']").click()
    form.find_element(By.TAG_NAME, "textarea").send_keys(note)
    submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def test_without_script_an_application_is_processed_and_approved_by_another(
    browser_without_script,  # noqa: F811
    base,
    stack,
    procedures,
):
    driver = browser_without_script
    accepted = applied(procedures, body())
    reference = accepted["reference"]
    password = stack.staff_pool.password

    sign_in(driver, base, "zeimu-staff", password)
    driver.find_element(By.ID, "reference").send_keys(reference.replace("-", "").lower())
    submit(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert reference in driver.find_element(By.TAG_NAME, "h1").text
    choose(driver, "/status", "accepted", "書類を確認しました")
    choose(driver, "/status", "in_review", "審査します")
    choose(driver, "/proposal", "completed", "要件を満たしています")
    assert "決裁待ち" in driver.page_source and "決裁する" not in driver.page_source
    sign_out(driver)

    sign_in(driver, base, "zeimu-kacho", password)
    driver.get(f"{base}/staff/applications/{reference}")
    form = driver.find_element(By.CSS_SELECTOR, "form[action$='/approval']")
    form.find_element(By.TAG_NAME, "textarea").send_keys("決裁します")
    submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "完了" in driver.find_element(By.CSS_SELECTOR, "dl").text
    sign_out(driver)

    assert inquire(procedures, fields(accepted)).json()["status"] == "completed"

    sign_in(driver, base, "miyagi-admin", password)
    driver.get(base + "/staff/audit")
    rows = [
        r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if reference in r.text
    ]
    done = {(row.split()[2], row.split()[3]) for row in rows if len(row.split()) > 3}
    for who, action in (
        ("zeimu-staff", "個人情報の閲覧"),
        ("zeimu-staff", "状態の変更"),
        ("zeimu-staff", "起案"),
        ("zeimu-kacho", "決裁"),
    ):
        assert any(who in row and action in row for row in rows), (who, action, rows)
    assert done
    sign_out(driver)


def test_console_pages_pass_the_accessibility_gate(browser, base, stack, procedures):
    reference = applied(procedures, body())["reference"]
    gate.set_width(browser, 1280)
    public = gate.audit(browser, base, ["/staff/sign-in"])
    sign_in(browser, base, "miyagi-admin", stack.staff_pool.password)
    pages = [
        "/staff/",
        "/staff/applications",
        "/staff/applications?procedure=nozei-shomei",
        f"/staff/applications/{reference}",
        "/staff/audit",
    ]
    result = gate.audit(browser, base, pages)
    findings = public.findings + result.findings
    assert not findings, "\n".join(map(str, findings))
    assert not public.reflow_failures + result.reflow_failures
    assert not gate.keyboard_problems(browser, base, f"/staff/applications/{reference}")
    browser.get(base + "/staff/")
    sign_out(browser)


def test_payment_newsletter_and_results_pages_pass_the_accessibility_gate(
    browser, base, stack, procedures
):
    from datetime import datetime

    from hiroba_core.dates import JST
    from tests.functions.conftest import Api
    from tests.functions.test_console_newsletter import built_issue
    from tests.functions.test_payments import _paid

    payment = _paid(procedures, Api(stack.sandbox.url))["payment_id"]
    issue = built_issue(stack)
    today = datetime.now(JST).date().isoformat()
    gate.set_width(browser, 1280)
    sign_in(browser, base, "miyagi-admin", stack.staff_pool.password)
    pages = [
        "/staff/payments",
        f"/staff/payments/{payment}",
        "/staff/reconciliation",
        f"/staff/reconciliation?date={today}",
        "/staff/reconciliation?date=2026-13-45",  # the form with its error summary
        "/staff/newsletter",
        f"/staff/newsletter/issues/{issue}",
        f"/staff/newsletter/issues/{issue}/send",
        "/staff/consultations/open-one/results",
        "/staff/consultations/closed-one/results",
    ]
    result = gate.audit(browser, base, pages)
    assert not result.findings, "\n".join(map(str, result.findings))
    assert not result.reflow_failures
    assert not gate.keyboard_problems(browser, base, f"/staff/payments/{payment}")
    browser.get(base + "/staff/")
    sign_out(browser)
