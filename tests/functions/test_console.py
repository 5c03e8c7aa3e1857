"""The staff console: sign-in with Cognito (moto's cognito-idp on the loopback server),
the session (cookie, idle timeout, CSRF, sign-out), roles scoped to 団体 and department,
the two-person rule and the audit trail."""

import html
import re
import time

import botocore.exceptions
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hiroba_core import tokens
from hiroba_core.errors import Forbidden, NotFound, Unauthorized
from hiroba_core.services import console as service
from hiroba_core.store.console import ConsoleStore, audit_item
from infra.local import cognito

from .test_dantai_applications import SENDAI
from .test_procedures_api import applied, body, fields, inquire


def _cognito(stack):
    return cognito.client(stack.staff_pool.endpoint, stack.staff_pool.region)


def _tokens(stack, username):
    """ID, access and refresh tokens straight from the pool, password and TOTP code."""
    client, pool = _cognito(stack), stack.staff_pool
    started = client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": pool.password},
    )
    assert started["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    answer = client.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": cognito.code()},
    )
    return answer["AuthenticationResult"]


# ---------------------------------------------------------------- 1. Cognito


def test_the_local_pool_issues_rs256_id_tokens_verified_against_its_jwks_over_http(stack):
    settings = stack.settings()
    assert settings.jwt_jwks_url.startswith("http://127.0.0.1:")
    result = _tokens(stack, "zeimu-staff")
    assert jwt.get_unverified_header(result["IdToken"])["alg"] == "RS256"
    claims = tokens.verify_id_token(result["IdToken"], settings)
    assert claims["iss"] == settings.jwt_issuer and claims["aud"] == settings.jwt_audience
    staff = tokens.staff_from_claims(claims)
    assert (staff.dantai, staff.role, staff.department) == ("040002", "staff", "zeimu")
    assert staff.username == "zeimu-staff"
    # the access token is not an ID token
    with pytest.raises(Unauthorized):
        tokens.verify_id_token(result["AccessToken"], settings)


def _forged(claims, key=None, kid="dummy"):
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_forged_foreign_and_wrong_audience_tokens_are_refused(stack):
    settings = stack.settings()
    genuine = jwt.decode(
        _tokens(stack, "miyagi-admin")["IdToken"], options={"verify_signature": False}
    )
    # the same claims signed with another key under the pool's key id
    with pytest.raises(Unauthorized):
        tokens.verify_id_token(_forged(genuine), settings)
    # a genuine token of the pool, checked as if another pool (issuer) or client (audience)
    token = _tokens(stack, "miyagi-admin")["IdToken"]
    from dataclasses import replace

    foreign = replace(settings, jwt_issuer="https://cognito-idp.ap-northeast-1.amazonaws.com/x")
    with pytest.raises(Unauthorized):
        tokens.verify_id_token(token, foreign)
    with pytest.raises(Unauthorized):
        tokens.verify_id_token(token, replace(settings, jwt_audience="another-client"))
    # HS256 with the public key as the secret (algorithm confusion) and "none"
    with pytest.raises(Unauthorized):
        tokens.verify_id_token(jwt.encode(genuine, "k" * 32, algorithm="HS256"), settings)
    unsigned = jwt.encode(genuine, None, algorithm="none")
    with pytest.raises(Unauthorized):
        tokens.verify_id_token(unsigned, settings)


def test_groups_give_one_dantai_department_and_role():
    def staff(*groups):
        return tokens.staff_from_claims({"sub": "s", "cognito:groups": list(groups)})

    assert staff("hiroba:041009:approver:gomi").dantai == "041009"
    assert staff("hiroba:041009:admin").role == "admin"
    assert staff("hiroba-admin").dantai == "040002"  # the prefecture's groups of before
    for groups in (
        (),
        ("hiroba:041009:staff:gomi", "hiroba:040002:staff:zeimu"),  # two: which one?
        ("hiroba:041008:admin",),  # not a 団体 code (check digit)
        ("hiroba:041009:owner:gomi",),  # no such role
        ("hiroba:041009:staff",),  # staff without a department
    ):
        with pytest.raises(Forbidden):
            staff(*groups)


def test_sign_in_needs_the_password_and_a_totp_code(stack, browser):
    password = stack.staff_pool.password
    refused = browser.post(
        "/staff/sign-in", {"username": "zeimu-staff", "password": "x" + password}
    )
    assert refused.status == 400 and "パスワードが正しくありません" in refused.text
    unknown = browser.post("/staff/sign-in", {"username": "nobody", "password": password})
    assert unknown.status == 400 and "パスワードが正しくありません" in unknown.text
    started = browser.post("/staff/sign-in", {"username": "zeimu-staff", "password": password})
    assert started.status == 303 and started.location.startswith("/staff/sign-in/code")
    wrong = str((int(cognito.code()) + 1) % 1_000_000).zfill(6)
    assert browser.post("/staff/sign-in/code", {"code": wrong}).status == 400
    assert "hiroba_staff" not in browser.jar
    done = browser.post("/staff/sign-in/code", {"code": cognito.code()})
    if done.status != 303:  # the code turned over between reading and sending it
        done = browser.post("/staff/sign-in/code", {"code": cognito.code()})
    assert done.status == 303 and done.location == "/staff/"
    assert browser.get("/staff/").status == 200


def test_mfa_is_required_even_where_the_pool_would_let_a_password_through(stack, browser):
    # a member without an authenticator: moto answers the password with tokens (real
    # Cognito answers MFA_SETUP); the console signs in only through the TOTP challenge
    stack.staff_pool.add_user(_cognito(stack), "no-totp", "hiroba:040002:staff:zeimu", False)
    page = browser.post(
        "/staff/sign-in", {"username": "no-totp", "password": stack.staff_pool.password}
    )
    assert page.status == 400 and "二要素認証" in page.text
    assert not browser.jar


# ---------------------------------------------------------------- 2. session


def test_the_session_cookie_is_httponly_secure_strict(stack, browser):
    browser.post(
        "/staff/sign-in", {"username": "zeimu-viewer", "password": stack.staff_pool.password}
    )
    done = browser.post("/staff/sign-in/code", {"code": cognito.code()})
    if done.status != 303:
        done = browser.post("/staff/sign-in/code", {"code": cognito.code()})
    (session,) = [c for c in done.cookies() if c.startswith("hiroba_staff=")]
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/staff"):
        assert flag in session


def test_idle_timeout_of_30_minutes_with_the_clock_set_by_the_test(stack, browser):
    browser.sign_in("zeimu-viewer", stack.staff_pool.password)
    store, settings = ConsoleStore(stack.settings()), stack.settings()
    session_id = browser.jar["hiroba_staff"]
    now = int(time.time())
    # 29 minutes later: still there, and the idle clock moves on
    assert service.current(store, settings, session_id, now + 29 * 60).staff.role == "viewer"
    assert service.current(store, settings, session_id, now + 58 * 60).staff.role == "viewer"
    # 30 minutes after that last request: gone, and stays gone
    with pytest.raises(Unauthorized):
        service.current(store, settings, session_id, now + 88 * 60)
    page = browser.get("/staff/")
    assert page.status == 303 and page.location.startswith("/staff/sign-in")


def test_every_form_needs_the_csrf_token(stack, signed_in):
    staff = signed_in("zeimu-staff")
    accepted = applied_to(stack, body())
    path = f"/staff/applications/{accepted}/status"
    form = {"status": "accepted", "version": "1"}
    assert staff.post(path, form).status == 403
    assert staff.post(path, {**form, "csrf": "forged"}).status == 403
    # and a post from another site is refused before any of it
    cross = staff.post(
        path,
        {**form, "csrf": staff.get("/staff/").csrf()},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status == 403
    page = staff.get(f"/staff/applications/{accepted}")
    assert "受付" in page.text and page.text.count('name="csrf"') >= 2


def test_sign_out_ends_the_session_and_revokes_the_refresh_tokens(stack, browser):
    refresh = _tokens(stack, "keiyaku-staff")["RefreshToken"]
    browser.sign_in("keiyaku-staff", stack.staff_pool.password)
    home = browser.get("/staff/")
    session_id = browser.jar["hiroba_staff"]
    out = browser.post("/staff/sign-out", {"csrf": home.csrf()})
    assert out.status == 200 and "サインアウトしました" in out.text
    assert "hiroba_staff" not in browser.jar
    with pytest.raises(Unauthorized):
        service.current(ConsoleStore(stack.settings()), stack.settings(), session_id)
    with pytest.raises(botocore.exceptions.ClientError):
        _cognito(stack).initiate_auth(
            ClientId=stack.staff_pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        )


# ---------------------------------------------------------------- 3. roles


def applied_to(stack, data):
    from .conftest import Api

    return applied(Api(stack.apps["procedures"].url), data)["reference"]


def test_another_dantai_is_404_and_another_department_403(stack, signed_in):
    prefectural = applied_to(stack, body())  # 宮城県 zeimu
    municipal = applied_to(stack, SENDAI)  # 仙台市 kumin
    assert signed_in("zeimu-viewer").get(f"/staff/applications/{prefectural}").status == 200
    assert signed_in("miyagi-admin").get(f"/staff/applications/{prefectural}").status == 200
    assert signed_in("sendai-admin").get(f"/staff/applications/{prefectural}").status == 404
    assert signed_in("miyagi-admin").get(f"/staff/applications/{municipal}").status == 404
    assert signed_in("sendai-admin").get(f"/staff/applications/{municipal}").status == 200
    assert signed_in("keiyaku-staff").get(f"/staff/applications/{prefectural}").status == 403
    assert signed_in("gomi-staff").get(f"/staff/applications/{municipal}").status == 403
    # a viewer reads, but may not change
    viewer = signed_in("zeimu-viewer")
    page = viewer.get(f"/staff/applications/{prefectural}")
    assert "変更する" not in page.text
    reply = viewer.post(
        f"/staff/applications/{prefectural}/status",
        {"csrf": page.csrf(), "status": "accepted", "version": "1"},
    )
    assert reply.status == 403
    # lists: another 団体's procedure is not found, another department's forbidden
    assert signed_in("sendai-admin").get("/staff/applications?procedure=nozei-shomei").status == 404
    assert (
        signed_in("keiyaku-staff").get("/staff/applications?procedure=nozei-shomei").status == 403
    )
    member = signed_in("zeimu-staff")
    listing = member.get("/staff/applications?procedure=nozei-shomei")
    assert listing.status == 200
    for _ in range(50):  # oldest first, 20 a page: the session's earlier tests applied too
        if prefectural in listing.text:
            break
        more = re.search(
            r'<a href="(/staff/applications\?[^"]*cursor=[^"]*)">次のページ', listing.text
        )
        assert more, "not listed"
        listing = member.get(html.unescape(more.group(1)))
    assert prefectural in listing.text


def test_authorize_is_the_one_rule():
    from hiroba_core.access import authorize

    staff = tokens.Staff("s", "staff", "zeimu", "040002")
    authorize(staff, "change", "040002", "zeimu")
    with pytest.raises(NotFound):
        authorize(staff, "view", "041009", "zeimu")  # same department name, other 団体
    with pytest.raises(Forbidden):
        authorize(staff, "change", "040002", "keiyaku")
    with pytest.raises(Forbidden):
        authorize(staff, "approve", "040002", "zeimu")
    with pytest.raises(Forbidden):
        authorize(staff, "audit", "040002")
    admin = tokens.Staff("a", "admin", "", "041009")
    authorize(admin, "audit", "041009")
    with pytest.raises(NotFound):
        authorize(admin, "audit", "040002")


# ---------------------------------------------------------------- 決裁 and audit


def test_two_person_rule_and_every_step_in_the_audit_trail(stack, signed_in):
    from .conftest import Api

    procedures = Api(stack.apps["procedures"].url)
    accepted = applied(procedures, body())
    reference = accepted["reference"]
    page_path = f"/staff/applications/{reference}"
    staff, kacho = signed_in("zeimu-staff"), signed_in("zeimu-kacho")
    for status, version in (("accepted", 1), ("in_review", 2)):
        reply = staff.act(
            page_path + "/status", {"status": status, "version": version, "note": "確認"}, page_path
        )
        assert reply.status == 303, reply
    # 完了 cannot be set directly
    direct = staff.act(page_path + "/status", {"status": "completed", "version": 3}, page_path)
    assert direct.status == 409
    proposed = staff.act(
        page_path + "/proposal",
        {"status": "completed", "version": 3, "note": "要件を満たす"},
        page_path,
    )
    assert proposed.status == 303, proposed
    # the proposer may not approve, not even as an approver would
    assert staff.act(page_path + "/approval", {"version": 4}, page_path).status == 403
    page = kacho.get(page_path)
    assert "決裁する" in page.text and "要件を満たす" in page.text
    approved = kacho.act(page_path + "/approval", {"version": 4, "note": "決裁"}, page_path)
    assert approved.status == 303, approved
    assert inquire(procedures, fields(accepted)).json()["status"] == "completed"
    # the audit trail, as the 団体's admin sees it
    admin = signed_in("miyagi-admin")
    trail = admin.get("/staff/audit")
    assert trail.status == 200
    for label in ("サインイン", "個人情報の閲覧", "状態の変更", "起案", "決裁"):
        assert label in trail.text, label
    assert reference in trail.text
    csv_text = admin.get("/staff/audit.csv").text
    assert csv_text.startswith("\ufeff日時") and "決裁" in csv_text
    # 仙台市's admin sees none of 宮城県's trail; staff see no trail at all
    assert reference not in signed_in("sendai-admin").get("/staff/audit").text
    assert signed_in("zeimu-staff").get("/staff/audit").status == 403
    assert signed_in("zeimu-kacho").get("/staff/audit.csv").status == 403


def test_the_audit_trail_is_append_only(stack):
    store = ConsoleStore(stack.settings())
    entry = {
        "at": "2026-12-03T00:00:00+00:00",
        "dantai": "040002",
        "subject": "s",
        "username": '=HYPERLINK("http://evil")',
        "role": "staff",
        "department": "zeimu",
        "action": "change",
        "target": "x",
        "detail": "",
    }
    item = store.append_audit(entry)
    from hiroba_core.store.uow import Cancelled

    with store.uow() as uow:  # the same key again: refused, nothing overwritten
        uow.put_new(item, label="audit", table=store.audit_table)
        with pytest.raises(Cancelled):
            uow.commit()
    assert audit_item(entry)["sk"] != item["sk"]  # every entry its own key
    admin = tokens.Staff("a", "admin", "", "040002", "kanri")
    text = service.audit_csv(store, admin)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


# ---------------------------------------------------------------- 補正依頼


def _mails_to(stack, address):
    import email
    import email.policy

    found = []
    for path in stack.mail.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            found.append(message.get_content())
    return found


def test_a_correction_request_mails_a_link_and_the_corrections_come_back(stack, signed_in):
    import re
    from urllib.parse import urlencode, urlsplit

    from .conftest import Api

    procedures = Api(stack.apps["procedures"].url)
    address = f"kosei-{time.time_ns()}@example.jp"
    accepted = applied(procedures, body(applicant={"email": address}))
    reference = accepted["reference"]
    page_path = f"/staff/applications/{reference}"
    staff = signed_in("zeimu-staff")
    for status, version in (("accepted", 1), ("in_review", 2)):
        assert (
            staff.act(
                page_path + "/status", {"status": status, "version": version}, page_path
            ).status
            == 303
        )
    empty = staff.act(page_path + "/correction", {"version": 3, "note": ""}, page_path)
    assert empty.status == 422
    request = "証明書の使いみちを「融資の申込み」に直してください。"
    sent = staff.act(page_path + "/correction", {"version": 3, "note": request}, page_path)
    assert sent.status == 303, sent
    assert inquire(procedures, fields(accepted)).json()["status"] == "returned"
    (mail,) = _mails_to(stack, address)
    assert request in mail and reference in mail
    link = re.search(r"(http\S+/api/procedures/corrections\?token=\S+)", mail).group(1)
    path = urlsplit(link).path.replace("/api/procedures", "") + "?" + urlsplit(link).query
    form = procedures.request("GET", path, headers={"Accept": "text/html"})
    assert form.status == 200 and request in form.text()
    assert "自動車の継続検査（車検）" in form.text()  # the answers as they are
    token = re.search(r'name="token" value="([^"]+)"', form.text()).group(1)
    answers = {**body()["answers"], "purpose": "融資の申込み"}
    posted = {"token": token, **{f"answer-{k}": v for k, v in answers.items()}}
    headers = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}
    # an answer left empty: the form again, the error linked to its field, the rest kept
    empty_answer = {**posted, "answer-purpose": ""}
    refused = procedures.request(
        "POST", "/corrections", raw=urlencode(empty_answer).encode(), headers=headers
    )
    assert refused.status == 422 and 'href="#answer-purpose"' in refused.text()
    done = procedures.request(
        "POST", "/corrections", raw=urlencode(posted).encode(), headers=headers
    )
    assert done.status == 200 and "補正を受け付けました" in done.text(), re.findall(
        r"<li>.*?</li>", done.text()
    )
    data = inquire(procedures, fields(accepted)).json()
    assert data["status"] == "in_review" and data["reference"] == reference  # the same application
    shown = staff.get(page_path).text
    assert "融資の申込み" in shown and "申請者が補正しました" in shown
    # the link works once
    again = procedures.request(
        "POST", "/corrections", raw=urlencode(posted).encode(), headers=headers
    )
    assert again.status == 400
    trail = signed_in("miyagi-admin").get("/staff/audit").text
    assert "補正依頼" in trail


# ---------------------------------------------------------------- comments


def test_comments_are_moderated_answered_and_exported_with_the_audit_trail(stack, signed_in):
    from hiroba_core.store.publishing import PublishingStore

    from .conftest import Api, valid

    api = Api(stack.apps["publishing"].url)
    assert api.comment("open-one", valid(name="=HYPERLINK(1)")).status in (200, 201)
    comment = PublishingStore(stack.settings()).list_comments("open-one")[-1]
    member = signed_in("miyagi-admin")
    page_path = "/staff/consultations/open-one"
    page = member.get(page_path)
    assert page.status == 200 and "=HYPERLINK(1)" in page.text  # escaped text, shown as text
    base = f"{page_path}/comments/{comment.id}"
    assert member.act(base + "/visibility", {"hidden": "1", "version": 1}, page_path).status == 303
    assert "再表示する" in member.get(page_path).text
    assert member.act(base + "/visibility", {"hidden": "0", "version": 2}, page_path).status == 303
    stale = member.act(base + "/response", {"response": "考え方", "version": 1}, page_path)
    assert stale.status == 409  # another member changed it since
    done = member.act(base + "/response", {"response": "県の考え方です。", "version": 3}, page_path)
    assert done.status == 303
    csv_text = member.get(page_path + "/export.csv").text
    assert "県の考え方です。" in csv_text and "'=HYPERLINK(1)" in csv_text
    trail = member.get("/staff/audit").text
    for label in ("意見の非表示・再表示", "県の考え方の記入", "書き出し"):
        assert label in trail, label


def test_staff_who_may_see_personal_data_download_the_attachments_by_a_short_link(stack, signed_in):
    """An application's files (under its 到達番号 in the private bucket) are listed with a
    download link signed for five minutes; the bytes are the file's."""
    import urllib.request

    from hiroba_core.ids import parse_reference
    from hiroba_core.store.attachments import AttachmentStore

    reference = parse_reference(applied_to(stack, SENDAI))  # 仙台市 住民票の写しの郵送請求
    files = AttachmentStore(stack.settings())
    pdf = b"%PDF-1.7\n% the applicant's ID\n%%EOF\n"
    key = f"applications/041009/{reference}/1/a1b2c3/運転免許証.pdf"
    files.s3.put_object(Bucket=files.bucket, Key=key, Body=pdf, ContentType="application/pdf")
    page = signed_in("sendai-admin").get(f"/staff/applications/{reference}")
    assert page.status == 200 and "添付書類" in page.text and "運転免許証.pdf" in page.text
    link = re.search(r'<a href="([^"]+)" download>運転免許証\.pdf</a>', page.text).group(1)
    link = html.unescape(link)
    assert "X-Amz-Expires=300" in link and "5分間" in page.text
    with urllib.request.urlopen(link, timeout=30) as answer:
        assert answer.read() == pdf
        assert answer.headers["Content-Disposition"].startswith("attachment;")
    # another 団体's admin sees neither the application nor its files
    other = signed_in("miyagi-admin").get(f"/staff/applications/{reference}")
    assert other.status == 404 and "運転免許証" not in other.text
