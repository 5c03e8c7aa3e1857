"""The online form (電子申請, issue #13 items 4-6, 8, 9) over HTTP against the real stack: the
procedures app in its own process, DynamoDB over HTTP (moto), mail through the aiosmtpd
sink. A resident is a cookie jar that posts forms as a browser without script does.

The form's clock is the stack's (LocalStack.set_clock): the timeout tests move it instead
of sleeping."""

import email
import email.policy
import re
import threading
from datetime import datetime, timedelta
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from hiroba_core import catalogue
from hiroba_core.dates import JST
from hiroba_core.services import attachments
from hiroba_core.store.attachments import AttachmentStore
from hiroba_core.wareki import format_wareki

from .conftest import Api
from .test_attachments import JPEG, PDF, upload

SODAI = "sendai-sodai-gomi"  # 仙台市 粗大ごみの収集申込: free, 本人 or 代理人
INU = "ishinomaki-inu-henko"  # 石巻市: another 団体
FEE = "tomiya-jumin-yuso"  # 富谷市 住民票の写しの郵送請求: 300円 a copy
PREFIX = "/api/procedures"
SCRIPT = "<script>alert(1)</script>"


class Resident:
    """A browser without script: one cookie, forms posted as application/x-www-form-urlencoded,
    redirects followed by hand (each 303 is checked by the caller)."""

    def __init__(self, app):
        self.app, self.cookie, self.client = app, None, Api.client_ip()

    def _headers(self, extra=None):
        headers = {"Accept": "text/html", "X-Forwarded-For": self.client}
        if self.cookie:
            headers["Cookie"] = self.cookie
        return {**headers, **(extra or {})}

    def _keep(self, reply):
        cookie = reply.headers.get("set-cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return reply

    def get(self, path, headers=None):
        return self._keep(self.app.request("GET", path, headers=self._headers(headers)))

    def post(self, path, fields=None, headers=None):
        data = urlencode(fields or {}).encode()
        extra = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self._keep(self.app.request("POST", path, raw=data, headers=self._headers(extra)))

    @property
    def draft_id(self):
        return self.cookie.split("=", 1)[1]

    def follow(self, reply):
        assert reply.status == 303, reply
        location = reply.headers["location"]
        assert location.startswith(PREFIX), location
        return self.get(location[len(PREFIX) :])


def mails_to(stack, address):
    found = []
    for path in stack.mail.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def body_of(message):
    return message.get_content()


def address(tag):
    return f"{tag}-{Api.client_ip().replace('.', '-')}@example.jp"


def code_from(stack, to):
    text = body_of(mails_to(stack, to)[-1])
    return re.search(r"確認コード: (\d{6})", text)[1]


def verified(procedures, stack, procedure=SODAI, to=None):
    """A resident past the code page of `procedure`: (resident, address, first page)."""
    resident, to = Resident(procedures), to or address("r")
    reply = resident.post(f"/apply/{procedure}/email", {"email": to})
    assert reply.status == 303, reply
    page = resident.follow(reply)
    assert "確認コードの入力" in page.text()
    reply = resident.post(f"/apply/{procedure}/code", {"code": code_from(stack, to)})
    return resident, to, resident.follow(reply)


def later(days):
    return datetime.now(JST).date() + timedelta(days=days)


def fill_sodai(resident, kind="本人", items="タンス 1点"):
    """Every page of the 粗大ごみ form, in order; returns the check page."""
    steps = [("who", {"applicant-kind": kind})]
    if kind == "代理人":
        steps.append(
            (
                "agent",
                {
                    "agent-name": "宮城 次郎",
                    "agent-kana": "みやぎ じろう",
                    "agent-relationship": "子",
                    "agent-address": "仙台市青葉区一番町1-1-1",
                    "agent-phone": "022-111-2222",
                },
            )
        )
    steps += [
        ("name", {"applicant-name": "宮城 花子", "applicant-kana": "みやぎ はなこ"}),
        (
            "contact",
            {
                "applicant-postal_code": "980-8570",
                "applicant-address": "仙台市青葉区本町3-8-1",
                "applicant-phone": "022-211-2111",
            },
        ),
        ("q-items", {"answer-items": items}),
        ("q-preferred_date", {"answer-preferred_date": format_wareki(later(10))}),
    ]
    reply = None
    for slug, fields in steps:
        reply = resident.post(f"/apply/{SODAI}/steps/{slug}", fields)
        assert reply.status == 303, (slug, reply)
    assert reply.headers["location"].endswith("/check")
    return resident.follow(reply)


@pytest.fixture
def clock(stack):
    """Move the form's clock; always back to the real time afterwards."""
    yield lambda minutes: stack.set_clock(minutes * 60)
    stack.set_clock(0)


def test_verify_fill_check_and_submit_without_script(procedures, stack):
    resident, to = Resident(procedures), address("hanako")
    start = resident.get(f"/apply/{SODAI}")
    assert start.status == 200 and "メールアドレスの確認" in start.text()

    # the address first: a wrong one is said on the page, with a link to the field
    wrong = resident.post(f"/apply/{SODAI}/email", {"email": "hanako.example.jp"})
    assert wrong.status == 422 and 'href="#email"' in wrong.text()
    assert "name@example.jp のような形" in wrong.text()
    assert resident.cookie is None  # no draft for an unverified address

    reply = resident.post(f"/apply/{SODAI}/email", {"email": to})
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http://127.0.0.1: a Secure cookie would not come back
    code = code_from(stack, to)
    wrong_code = f"{(int(code) + 1) % 1000000:06d}"
    refused = resident.post(f"/apply/{SODAI}/code", {"code": wrong_code})
    assert refused.status == 422 and "あと4回" in refused.text()
    first = resident.follow(resident.post(f"/apply/{SODAI}/code", {"code": code}))
    assert "申請する人" in first.text() and "有効時間は、あと90分" in first.text()

    resident.post(f"/apply/{SODAI}/steps/who", {"applicant-kind": "本人"})
    # one error corrected on the way: a name in romaji is not kana
    refused = resident.post(
        f"/apply/{SODAI}/steps/name",
        {"applicant-name": "宮城 花子", "applicant-kana": "Miyagi Hanako"},
    )
    page = refused.text()
    assert refused.status == 422
    assert 'href="#applicant-kana"' in page and "ひらがなかカタカナ" in page
    assert 'value="Miyagi Hanako"' in page  # what was typed is shown again
    check = fill_sodai(resident, items=SCRIPT)
    page = check.text()
    assert "入力内容の確認" in page
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f'{PREFIX}/apply/{SODAI}/steps/q-items?from=check#answer-items"' in page
    assert page.count(">修正<") == 8  # who, name, kana, postal code, address, phone, 2 answers
    assert format_wareki(later(10)) in page

    # 修正 from the check page comes back to the check page
    back = resident.post(
        f"/apply/{SODAI}/steps/q-items", {"answer-items": "タンス 1点", "from": "check"}
    )
    assert back.headers["location"].endswith("/check")

    done = resident.post(f"/apply/{SODAI}/submit")
    page = done.text()
    assert done.status == 200 and "申請を受け付けました" in page
    reference = re.search(r'id="apply-reference">([A-Z0-9-]+)<', page)[1]
    receipt = mails_to(stack, to)[-1]
    assert reference in receipt["Subject"]
    code = re.search(r"問合せ番号: ([A-Z0-9-]+)", body_of(receipt))[1]
    assert code in page
    # the 団体's desk hears of it, without anything the resident wrote
    desk = [
        m for m in mails_to(stack, "denshi-shinsei@city.sendai.example") if reference in body_of(m)
    ]
    assert len(desk) == 1
    notice = body_of(desk[0])
    for personal in ("宮城 花子", "みやぎ", "980-8570", "022-211-2111", to, "タンス"):
        assert personal not in notice
    status = procedures.request(
        "POST",
        "/inquiries",
        {"reference": reference, "inquiry_code": code},
        {"X-Forwarded-For": Api.client_ip()},
    )
    assert status.json()["status_label"] == "到達"


def test_a_double_submit_makes_one_application_and_one_mail(procedures, stack):
    resident, to, _ = verified(procedures, stack)
    fill_sodai(resident)
    replies = []

    def click():
        replies.append(resident.post(f"/apply/{SODAI}/submit"))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    shown = {
        re.search(r'id="apply-reference">([A-Z0-9-]+)<', r.text())[1]
        for r in replies
        if r.status == 200
    }
    assert len(shown) == 1, replies  # whichever click the browser shows, the same number
    assert all(r.status in (200, 410) for r in replies), replies
    receipts = [m for m in mails_to(stack, to) if "受け付けました" in m["Subject"]]
    assert len(receipts) == 1
    again = resident.post(f"/apply/{SODAI}/submit")
    assert again.status == 410 and "すでに送信しました" in again.text()


def test_the_code_is_refused_after_five_wrong_attempts(procedures, stack):
    resident, to = Resident(procedures), address("guess")
    resident.post(f"/apply/{SODAI}/email", {"email": to})
    code = code_from(stack, to)
    wrong = f"{(int(code) + 7) % 1000000:06d}"
    answers = [resident.post(f"/apply/{SODAI}/code", {"code": wrong}) for _ in range(5)]
    assert [a.status for a in answers] == [422, 422, 422, 422, 410]
    assert "5回まちがえた" in answers[-1].text()
    late = resident.post(f"/apply/{SODAI}/code", {"code": code})  # the right one, too late
    assert late.status == 410


def test_a_new_code_waits_a_minute_and_the_old_one_stops_working(procedures, stack, clock):
    resident, to = Resident(procedures), address("resend")
    resident.post(f"/apply/{SODAI}/email", {"email": to})
    old = code_from(stack, to)
    soon = resident.post(f"/apply/{SODAI}/code/resend")
    assert soon.status == 422 and "1分後" in soon.text()
    clock(2)
    assert resident.post(f"/apply/{SODAI}/code/resend").status == 303
    new = code_from(stack, to)
    assert len(mails_to(stack, to)) == 2
    if new != old:
        assert resident.post(f"/apply/{SODAI}/code", {"code": old}).status == 422
    assert resident.post(f"/apply/{SODAI}/code", {"code": new}).status == 303


def test_the_link_in_the_mail_verifies_in_another_browser(procedures, stack):
    first, to = Resident(procedures), address("link")
    first.post(f"/apply/{SODAI}/email", {"email": to})
    link = re.search(r"https?://\S+/verify\?token=\S+", body_of(mails_to(stack, to)[-1]))[0]
    token = parse_qs(urlsplit(link).query)["token"][0]
    other = Resident(procedures)
    page = other.get(f"/apply/{SODAI}/verify?token={quote(token)}")
    assert page.status == 200 and "確認して申請を続ける" in page.text()  # a GET changes nothing
    assert other.cookie is None
    reply = other.post(f"/apply/{SODAI}/verify", {"token": token})
    assert reply.status == 303 and reply.headers["location"].endswith("/steps/who")
    assert other.cookie


def test_thirty_minutes_without_a_page_change_ends_the_draft(procedures, stack, clock):
    resident, _, _ = verified(procedures, stack)
    resident.post(f"/apply/{SODAI}/steps/who", {"applicant-kind": "本人"})
    check = resident.get(f"/apply/{SODAI}/check")  # not a form page: 30 minutes
    assert "あと30分" in check.text()
    clock(29)
    assert resident.get(f"/apply/{SODAI}/check").status == 200  # and 30 more from here
    clock(29 + 31)
    gone = resident.get(f"/apply/{SODAI}/check")
    assert gone.status == 410
    assert "30分" in gone.text() and "最初から申請する" in gone.text()
    clock(0)
    assert resident.get(f"/apply/{SODAI}/check").status == 410  # deleted, not only late


def test_a_form_page_has_ninety_minutes(procedures, stack, clock):
    resident, _, first = verified(procedures, stack)
    assert "あと90分" in first.text()
    clock(89)  # a long time on one page: still kept
    reply = resident.post(f"/apply/{SODAI}/steps/who", {"applicant-kind": "本人"})
    assert reply.status == 303
    page = resident.follow(reply)  # the next form page: 90 minutes from now
    assert "あと90分" in page.text()
    clock(89 + 91)
    gone = resident.post(f"/apply/{SODAI}/steps/name", {"applicant-name": "宮城 花子"})
    assert gone.status == 410 and "90分" in gone.text()


def test_a_saved_draft_resumes_from_the_mailed_link(procedures, stack, clock):
    resident, to, _ = verified(procedures, stack)
    resident.post(f"/apply/{SODAI}/steps/who", {"applicant-kind": "本人"})
    saved = resident.post(
        f"/apply/{SODAI}/steps/name",
        {"applicant-name": "宮城 花子", "applicant-kana": "みやぎ はなこ", "action": "save"},
    )
    assert saved.status == 200 and "一時保存しました" in saved.text()
    link = re.search(r"https?://\S+/resume\?token=\S+", body_of(mails_to(stack, to)[-1]))[0]
    token = parse_qs(urlsplit(link).query)["token"][0]
    clock(3 * 24 * 60)  # three days later, in another browser
    other = Resident(procedures)
    assert other.get(f"/apply/{SODAI}/resume?token={quote(token)}").status == 200
    reply = other.post(f"/apply/{SODAI}/resume", {"token": token})
    assert reply.status == 303, re.findall(r"<p>(.*?)</p>", reply.text())
    assert reply.headers["location"].endswith("/steps/contact")
    page = other.follow(reply)
    assert "住所と電話番号" in page.text()
    name = other.get(f"/apply/{SODAI}/steps/name").text()
    assert 'value="みやぎ はなこ"' in name  # what was saved is there


def test_a_resume_link_older_than_seven_days_is_refused(procedures, stack, clock):
    resident, to, _ = verified(procedures, stack)
    resident.post(f"/apply/{SODAI}/save", {"action": "save"})
    link = re.search(r"https?://\S+/resume\?token=\S+", body_of(mails_to(stack, to)[-1]))[0]
    token = parse_qs(urlsplit(link).query)["token"][0]
    clock(7 * 24 * 60 + 1)
    refused = Resident(procedures).post(f"/apply/{SODAI}/resume", {"token": token})
    assert refused.status == 400
    assert "有効期限（7日間）" in refused.text() and "最初から申請する" in refused.text()


def test_a_draft_is_not_found_under_another_dantai(procedures, stack):
    resident, _, _ = verified(procedures, stack)
    for method, path in (
        ("GET", f"/apply/{INU}/check"),
        ("GET", f"/apply/{INU}/steps/name"),
        ("POST", f"/apply/{INU}/steps/name"),
        ("POST", f"/apply/{INU}/submit"),
        ("POST", f"/apply/{INU}/save"),
    ):
        reply = resident.get(path) if method == "GET" else resident.post(path, {"a": "b"})
        assert reply.status == 404, (method, path, reply)
    assert resident.get(f"/apply/{SODAI}/steps/who").status == 200  # its own still works


def test_every_post_of_the_form_checks_the_origin(procedures, stack):
    resident, _, _ = verified(procedures, stack)
    for path in ("/email", "/code", "/steps/who", "/submit", "/save", "/resume", "/verify"):
        for header in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            reply = resident.post(f"/apply/{SODAI}{path}", {"applicant-kind": "本人"}, header)
            assert reply.status == 403, (path, header, reply)
            assert "cross-site" in reply.json()["type"]


def test_an_agent_applies_and_gets_the_numbers(procedures, stack):
    resident, to, _ = verified(procedures, stack, to=address("agent"))
    check = fill_sodai(resident, kind="代理人")
    page = check.text()
    assert "代理人の氏名" in page and "宮城 次郎" in page and "宮城 花子" in page
    done = resident.post(f"/apply/{SODAI}/submit").text()
    reference = re.search(r'id="apply-reference">([A-Z0-9-]+)<', done)[1]
    text = body_of(mails_to(stack, to)[-1])  # the agent's verified address
    assert reference in text and "代理人として申請" in text
    code = re.search(r"問合せ番号: ([A-Z0-9-]+)", text)[1]
    status = procedures.request(
        "POST",
        "/inquiries",
        {"reference": reference, "inquiry_code": code},
        {"X-Forwarded-For": Api.client_ip()},
    )
    assert status.status == 200 and status.json()["status_label"] == "到達"


def fill_tomiya(resident, kind="本人", copies="1"):
    """Every page of 富谷市's 住民票の写しの郵送請求 (FEE), in order."""
    steps = [("who", {"applicant-kind": kind})]
    if kind == "代理人":
        agent = {
            "agent-name": "富谷 次郎",
            "agent-kana": "とみや じろう",
            "agent-relationship": "子",
            "agent-address": "富谷市富谷坂松田30",
            "agent-phone": "022-358-0512",
        }
        steps.append(("agent", agent))
    steps += [
        ("name", {"applicant-name": "富谷 太郎", "applicant-kana": "とみや たろう"}),
        (
            "contact",
            {
                "applicant-postal_code": "981-3392",
                "applicant-address": "富谷市富谷坂松田30",
                "applicant-phone": "022-358-0511",
            },
        ),
        ("q-copies", {"answer-copies": copies}),
    ]
    for slug, fields in steps:
        assert resident.post(f"/apply/{FEE}/steps/{slug}", fields).status == 303, slug


def test_a_fee_is_waiting_to_be_paid_on_the_completion_page(procedures, stack):
    resident, _, first = verified(procedures, stack, procedure=FEE)
    assert "申請する人" in first.text()
    fill_tomiya(resident, copies="2")
    upload(procedures, FEE, resident.draft_id, "1", "免許証.jpg", JPEG)  # required
    done = resident.post(f"/apply/{FEE}/submit").text()
    assert "納付待ち" in done and "600円" in done
    assert 'action="/api/procedures/payments"' in done and 'value="application"' in done


def test_a_procedure_that_needs_a_signature_has_no_form(procedures):
    assert Resident(procedures).get("/apply/kojin-joho-kaiji").status == 404


def test_the_clock_file_is_only_for_development(stack):
    from hiroba_core.settings import PRODUCTION, Settings, clock_file

    env = {**stack.env(), "HIROBA_CLOCK_FILE": "/tmp/clock"}
    assert Settings.from_env(env).clock_file == "/tmp/clock"
    assert clock_file(env, PRODUCTION) is None  # production never reads it


def test_an_agent_must_attach_the_power_of_attorney_that_the_person_need_not(procedures, stack):
    """委任状 is required of a 代理人 only (`when = "代理人"` in the catalogue): the same
    procedure with only the 本人確認書類 attached is refused for an agent, naming the
    委任状, and goes through once it is attached."""
    resident, _, _ = verified(procedures, stack, procedure=FEE)
    fill_tomiya(resident, kind="代理人")
    upload(procedures, FEE, resident.draft_id, "1", "免許証.pdf", PDF)
    check = resident.get(f"/apply/{FEE}/check").text()
    assert "まだ添付されていません：委任状（代理人が請求するとき）" in check
    refused = resident.post(f"/apply/{FEE}/submit")
    assert refused.status == 422
    assert "委任状（代理人が請求するとき）を添付してください" in refused.text()
    assert "本人確認書類の写しを添付してください" not in refused.text()
    page = resident.get(f"/attachments/{FEE}", headers={"Accept": "application/json"})
    needed = {d["label"]: d["required"] for d in page.json()["documents"]}
    assert needed["委任状（代理人が請求するとき）"] is True
    upload(procedures, FEE, resident.draft_id, "2", "委任状.pdf", PDF)
    done = resident.post(f"/apply/{FEE}/submit")
    assert done.status == 200, done
    assert "到達番号" in done.text()


def test_the_person_themself_is_not_asked_for_a_power_of_attorney(procedures, stack):
    resident, _, _ = verified(procedures, stack, procedure=FEE)
    resident.post(f"/apply/{FEE}/steps/who", {"applicant-kind": "本人"})
    page = resident.get(f"/attachments/{FEE}", headers={"Accept": "application/json"})
    body = page.json()
    assert [m["label"] for m in body["missing"]] == ["本人確認書類の写し"]
    needed = {d["label"]: d["required"] for d in body["documents"]}
    assert needed == {"本人確認書類の写し": True, "委任状（代理人が請求するとき）": False}


def test_the_required_documents_come_before_submit_and_go_under_the_reference(procedures, stack):
    """確認画面 lists the documents (what is attached, what is still missing) with a link
    to the attachments page; submit refuses while a required one is missing and says
    where to add it; once sent, the checked files are the application's, under its
    到達番号, and the draft's are gone."""
    resident, _, _ = verified(procedures, stack, procedure=FEE)
    fill_tomiya(resident)
    check = resident.get(f"/apply/{FEE}/check").text()
    assert "添付したファイルはまだありません" in check and "本人確認書類の写し" in check
    assert f'href="{PREFIX}/attachments/{FEE}"' in check
    refused = resident.post(f"/apply/{FEE}/submit")
    assert refused.status == 422
    assert f'href="{PREFIX}/attachments/{FEE}">本人確認書類の写しを添付してください' in (
        refused.text()
    )
    # the attachments page belongs to this draft, and goes back to 確認画面
    page = resident.get(f"/attachments/{FEE}").text()
    assert f'href="{PREFIX}/apply/{FEE}/check"' in page
    upload(procedures, FEE, resident.draft_id, "1", "免許証.pdf", PDF)
    check = resident.get(f"/apply/{FEE}/check").text()
    assert "免許証.pdf" in check and "まだ添付されていません" not in check
    done = resident.post(f"/apply/{FEE}/submit")
    assert done.status == 200, done
    reference = re.search(r"到達番号.*?([0-9A-Z]{4}(?:-[0-9A-Z]{4})+)", done.text(), re.S)
    store = AttachmentStore(stack.settings())
    procedure = catalogue.load(None)[FEE]
    raw = reference.group(1).replace("-", "")
    files = attachments.for_application(store, procedure, raw)
    assert [f["name"] for f in files] == ["免許証.pdf"]
    assert not store.list(f"drafts/{procedure.dantai}/{resident.draft_id}/")
    # the draft is spent: its attachments page is gone with it
    assert resident.get(f"/attachments/{FEE}").status == 410
