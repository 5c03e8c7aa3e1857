"""電子申請 in a real browser (issue #13): from the home page a resident finds a municipal
procedure, verifies the e-mail address with the code from the local mail sink, fills every
page (one error corrected on the way), checks the answers, submits, reads the 到達番号 and
asks the status page, which says 到達. Without JavaScript, with it, and as an agent; each
page of the form passes the accessibility gate at both widths on the way (axe runs in
the browser with script).

The stack is started for this module with the site's address known in advance (the mails'
links lead to the site), as the payments' browser tests do."""

import email
import email.policy
import re
import shutil
from datetime import datetime, timedelta

import pytest
from selenium.webdriver.common.by import By

import tests.functions.conftest as live
from hiroba_core import catalogue
from hiroba_core.dates import JST
from hiroba_core.services import attachments
from hiroba_core.store.attachments import AttachmentStore
from hiroba_core.wareki import format_wareki
from infra.a11y import gate
from infra.local.stack import ROOT, LocalStack, free_port
from tests.browser import test_comment_form
from tests.browser.test_payments_browser import fill, main_text, no_violations, press, until_text

pytestmark = pytest.mark.browser

content = live.content


@pytest.fixture(scope="module")
def apply_content(tmp_path_factory, content):
    """The functions tests' content with the site's home page (where the resident starts)."""
    folder = tmp_path_factory.mktemp("apply-content") / "content"
    shutil.copytree(content, folder)
    home = ROOT / "content" / "pages" / "home" / "index.md"
    (folder / "pages" / "home").mkdir(parents=True)
    shutil.copy(home, folder / "pages" / "home" / "index.md")
    return folder


browser_without_script = test_comment_form.browser_without_script
browser_with_script = test_comment_form.browser_with_script
LABELS = {q.id: q.label for q in catalogue.load()["sendai-sodai-gomi"].questions}


@pytest.fixture(scope="module")
def apply_stack(tmp_path_factory, apply_content):
    port = free_port()
    stack = LocalStack(
        tmp_path_factory.mktemp("apply-stack"),
        env={"HIROBA_RATE_LIMIT": "100", "HIROBA_ADDRESS_MAIL_LIMIT": "10"},
        content=apply_content,
        site_url=f"http://127.0.0.1:{port}",
    ).start()
    stack.site_port = port
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def base(tmp_path_factory, apply_stack, apply_content):
    served = live.serve_site(
        tmp_path_factory, apply_stack, apply_content, port=apply_stack.site_port
    )
    site = next(served)
    yield f"http://{site.host}:{site.port}"
    next(served, None)


def last_mail(stack, to):
    for path in reversed(stack.mail.messages()):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            return message.get_content()
    raise AssertionError(f"no mail to {to}")


def choose(driver, field_id):
    driver.find_element(By.XPATH, f"//label[@for='{field_id}']").click()


def answer_page(driver, heading, fields):
    """One page of the form: wait for its heading, type each field, go on."""
    until_text(driver, heading)
    for field, text in fields.items():
        fill(driver, field, text)
    press(driver, "次へ")


def audited(driver, label, audit):
    if audit:
        no_violations(driver, label)


def apply_from_the_home_page(driver, base, stack, to, agent=False, audit=False):
    """The whole form as a resident does it; returns (到達番号, 問合せ番号)."""
    if audit:
        gate.preload_axe(driver)
    driver.get(base + "/")
    driver.find_element(By.PARTIAL_LINK_TEXT, "手続を探す").click()
    driver.find_element(By.XPATH, "//a[span[normalize-space()='仙台市']]").click()
    driver.find_element(By.PARTIAL_LINK_TEXT, "粗大ごみの収集申込").click()
    driver.find_element(By.LINK_TEXT, "申請する").click()
    until_text(driver, "メールアドレスの確認")
    audited(driver, "apply-start", audit)
    fill(driver, "email", to)
    press(driver, "確認コードを送る")
    until_text(driver, "確認コードの入力")
    audited(driver, "apply-code", audit)
    code = re.search(r"確認コード: (\d{6})", last_mail(stack, to))[1]
    fill(driver, "code", code)
    press(driver, "確認する")

    until_text(driver, "申請する人")
    assert "あと90分" in main_text(driver)
    audited(driver, "apply-who", audit)
    choose(driver, "applicant-kind-1" if agent else "applicant-kind")
    press(driver, "次へ")
    if agent:
        until_text(driver, "代理人（あなた）の情報")
        fill(driver, "agent-name", "宮城 次郎")
        fill(driver, "agent-kana", "みやぎ じろう")
        fill(driver, "agent-relationship", "子")
        fill(driver, "agent-address", "仙台市青葉区一番町1-1-1")
        fill(driver, "agent-phone", "022-111-2222")
        press(driver, "次へ")
    until_text(driver, "氏名")
    fill(driver, "applicant-name", "宮城 花子")
    fill(driver, "applicant-kana", "Hanako")  # the error corrected on the way
    press(driver, "次へ")
    until_text(driver, "入力内容を確認してください")
    audited(driver, "apply-name-error", audit)
    driver.find_element(By.CSS_SELECTOR, ".hiroba-error-summary a[href='#applicant-kana']").click()
    fill(driver, "applicant-kana", "みやぎ はなこ")
    press(driver, "次へ")
    answer_page(
        driver,
        "住所と電話番号",
        {
            "applicant-postal_code": "980-8570",
            "applicant-address": "仙台市青葉区本町3-8-1",
            "applicant-phone": "022-211-2111",
        },
    )
    until_text(driver, LABELS["items"])
    fill(driver, "answer-items", "タンス 1点 <b>重い</b>")
    audited(driver, "apply-text", audit)
    press(driver, "次へ")
    until_text(driver, LABELS["preferred_date"])
    day = (datetime.now(JST) + timedelta(days=10)).date()
    fill(driver, "answer-preferred_date", format_wareki(day))
    press(driver, "次へ")

    until_text(driver, "入力内容の確認")
    audited(driver, "apply-check", audit)
    page = main_text(driver)
    assert "タンス 1点 <b>重い</b>" in page  # the resident's text, as text
    assert format_wareki(day) in page and to in page
    assert ("宮城 次郎" in page) is agent
    press(driver, "この内容で申請する")
    until_text(driver, "申請を受け付けました")
    audited(driver, "apply-complete", audit)
    reference = driver.find_element(By.ID, "apply-reference").text
    code = re.search(r"問合せ番号\s*([A-Z0-9-]{11})", main_text(driver))[1]
    mail = last_mail(stack, to)
    assert reference in mail and code in mail
    return reference, code


def status_is_received(driver, base, reference, code):
    driver.get(base + "/procedures/status/")
    fill(driver, "inquiry-reference", reference)
    fill(driver, "inquiry-code", code)
    press(driver, "照会する")
    until_text(driver, "申請の状況")
    assert "到達" in main_text(driver) and reference in main_text(driver)


def test_without_script_a_resident_applies_from_the_home_page(
    browser_without_script, base, apply_stack
):
    driver = browser_without_script
    reference, code = apply_from_the_home_page(driver, base, apply_stack, "noscript@example.jp")
    status_is_received(driver, base, reference, code)


def test_with_script_the_form_works_the_same(browser_with_script, base, apply_stack):
    driver = browser_with_script
    reference, code = apply_from_the_home_page(
        driver,
        base,
        apply_stack,
        "script@example.jp",
        audit=True,  # axe needs script
    )
    status_is_received(driver, base, reference, code)


def test_an_agent_applies_and_the_inquiry_works_for_them(browser_with_script, base, apply_stack):
    driver = browser_with_script
    reference, code = apply_from_the_home_page(
        driver, base, apply_stack, "dairinin@example.jp", agent=True
    )
    assert "代理人として申請" in last_mail(apply_stack, "dairinin@example.jp")
    status_is_received(driver, base, reference, code)


def test_the_timeout_page_explains_and_starts_again(browser_with_script, base, apply_stack):
    driver = browser_with_script
    driver.get(base + "/api/procedures/apply/sendai-sodai-gomi")
    fill(driver, "email", "timeout@example.jp")
    press(driver, "確認コードを送る")
    until_text(driver, "確認コードの入力")
    gate.preload_axe(driver)
    apply_stack.set_clock(31 * 60)
    try:
        driver.refresh()
        until_text(driver, "入力の有効時間が過ぎました")
        no_violations(driver, "apply-timeout")
        driver.find_element(By.LINK_TEXT, "最初から申請する").click()
        until_text(driver, "メールアドレスの確認")
    finally:
        apply_stack.set_clock(0)


def test_staff_process_an_online_application_end_to_end_in_the_console(
    browser_without_script, base, apply_stack
):
    """Issue #15's walk, without script: an application sent through the online form;
    staff of its department request a correction (補正依頼); the resident corrects it from
    the mail's link; staff propose 完了 and an approver (not the proposer) approves; the
    resident's inquiry says 完了; every step is in the 団体's audit trail."""
    from tests.browser.test_console import choose, sign_in, sign_out, submit

    driver = browser_without_script
    to = "console-walk@example.jp"
    reference, code = apply_from_the_home_page(driver, base, apply_stack, to)
    password = apply_stack.staff_pool.password
    page = f"{base}/staff/applications/{reference}"

    sign_in(driver, base, "gomi-staff", password)
    driver.get(page)
    choose(driver, "/status", "accepted", "受け付けました")
    choose(driver, "/status", "in_review", "品目を確認します")
    form = driver.find_element(By.CSS_SELECTOR, "form[action$='/correction']")
    form.find_element(By.TAG_NAME, "textarea").send_keys("品目の大きさ（高さ）を書いてください")
    submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    sign_out(driver)

    mail = last_mail(apply_stack, to)
    assert "品目の大きさ(高さ)を書いてください" in mail  # NFKC, as every text the apps keep
    link = re.search(r"(http\S+/api/procedures/corrections\?token=\S+)", mail)[1]
    driver.get(link)
    until_text(driver, "申請内容の補正")
    items = driver.find_element(By.ID, "answer-items")
    items.clear()
    items.send_keys("タンス 1点（高さ180cm）")
    press(driver, "補正して送信する")
    until_text(driver, "補正を受け付けました")

    sign_in(driver, base, "gomi-staff", password)
    driver.get(page)
    assert "タンス 1点(高さ180cm)" in driver.page_source
    choose(driver, "/proposal", "completed", "収集日を決めました")
    assert "決裁待ち" in driver.page_source and "決裁する" not in driver.page_source
    sign_out(driver)
    sign_in(driver, base, "gomi-kakaricho", password)
    driver.get(page)
    form = driver.find_element(By.CSS_SELECTOR, "form[action$='/approval']")
    submit(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    sign_out(driver)

    driver.get(base + "/procedures/status/")
    fill(driver, "inquiry-reference", reference)
    fill(driver, "inquiry-code", code)
    press(driver, "照会する")
    until_text(driver, "申請の状況")
    assert "完了" in main_text(driver)

    sign_in(driver, base, "sendai-admin", password)
    driver.get(base + "/staff/audit")
    rows = [
        r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if reference in r.text
    ]
    for who, action in (
        ("gomi-staff", "個人情報の閲覧"),
        ("gomi-staff", "状態の変更"),
        ("gomi-staff", "補正依頼"),
        ("gomi-staff", "起案"),
        ("gomi-kakaricho", "決裁"),
    ):
        assert any(who in row and action in row for row in rows), (who, action, rows)
    sign_out(driver)


@pytest.mark.parametrize("which", ["browser_without_script", "browser_with_script"])
def test_an_agent_attaches_the_documents_and_the_files_become_the_applications(
    which, request, base, apply_stack, tmp_path
):
    """From the home page to 到達 for a procedure with required documents (富谷市の住民票の
    写しの郵送請求), as an agent, with script and without: 確認画面 lists what is missing; the files
    go from the browser to the bucket (presigned POST) and back; sending without the
    委任状 is refused with a link to the attachments page; with it, the application is
    received and both files are under its 到達番号, where staff read them."""
    from tests.browser.test_attachments_browser import attach
    from tests.functions.test_attachments import PDF

    driver = request.getfixturevalue(which)
    to = f"tomiya-dairi-{which}@example.jp".replace("_", "-")
    (tmp_path / "本人確認.pdf").write_bytes(PDF)
    (tmp_path / "委任状.pdf").write_bytes(PDF)
    driver.get(base + "/")
    driver.find_element(By.PARTIAL_LINK_TEXT, "手続を探す").click()
    driver.find_element(By.XPATH, "//a[span[normalize-space()='富谷市']]").click()
    driver.find_element(By.PARTIAL_LINK_TEXT, "住民票の写しの郵送請求").click()
    assert "代理人が申請するときは必須" in main_text(driver)
    driver.find_element(By.LINK_TEXT, "申請する").click()
    until_text(driver, "メールアドレスの確認")
    fill(driver, "email", to)
    press(driver, "確認コードを送る")
    until_text(driver, "確認コードの入力")
    fill(driver, "code", re.search(r"確認コード: (\d{6})", last_mail(apply_stack, to))[1])
    press(driver, "確認する")
    until_text(driver, "申請する人")
    choose(driver, "applicant-kind-1")
    press(driver, "次へ")
    answer_page(
        driver,
        "代理人（あなた）の情報",
        {
            "agent-name": "富谷 次郎",
            "agent-kana": "とみや じろう",
            "agent-relationship": "子",
            "agent-address": "富谷市富谷坂松田30",
            "agent-phone": "022-358-0512",
        },
    )
    answer_page(driver, "氏名", {"applicant-name": "富谷 太郎", "applicant-kana": "とみや たろう"})
    answer_page(
        driver,
        "住所と電話番号",
        {
            "applicant-postal_code": "981-3392",
            "applicant-address": "富谷市富谷坂松田30",
            "applicant-phone": "022-358-0511",
        },
    )
    answer_page(driver, "必要な通数", {"answer-copies": "1"})

    until_text(driver, "入力内容の確認")
    assert "まだ添付されていません：本人確認書類の写し、委任状（代理人が請求するとき）" in (
        main_text(driver)
    )
    driver.find_element(By.LINK_TEXT, "添付書類を追加・削除する").click()
    until_text(driver, "まだ添付していません")
    attach(driver, "1", tmp_path / "本人確認.pdf")
    until_text(driver, "「本人確認.pdf」を添付しました")
    driver.find_element(By.LINK_TEXT, "申請の入力に戻る").click()
    until_text(driver, "入力内容の確認")
    press(driver, "この内容で申請する")
    until_text(driver, "委任状（代理人が請求するとき）を添付してください")
    driver.find_element(By.PARTIAL_LINK_TEXT, "委任状（代理人が請求するとき）を添付").click()
    until_text(driver, "申請の入力に戻る")  # the attachments page (確認画面 has 添付書類 too)
    attach(driver, "2", tmp_path / "委任状.pdf")
    until_text(driver, "「委任状.pdf」を添付しました")
    driver.find_element(By.LINK_TEXT, "申請の入力に戻る").click()
    until_text(driver, "入力内容の確認")
    page = main_text(driver)
    assert "本人確認.pdf" in page and "委任状.pdf" in page and "まだ添付されていません" not in page
    press(driver, "この内容で申請する")
    until_text(driver, "申請を受け付けました")
    assert "納付待ち" in main_text(driver)  # 300円 a copy
    reference = driver.find_element(By.ID, "apply-reference").text
    code = re.search(r"問合せ番号\s*([A-Z0-9-]{11})", main_text(driver))[1]
    assert "代理人として申請" in last_mail(apply_stack, to)

    store = AttachmentStore(apply_stack.settings())
    files = attachments.for_application(
        store, catalogue.load(None)["tomiya-jumin-yuso"], reference.replace("-", "")
    )
    assert sorted(f["name"] for f in files) == ["委任状.pdf", "本人確認.pdf"]
    status_is_received(driver, base, reference, code)
