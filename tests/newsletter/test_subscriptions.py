"""Subscribe -> confirm -> send -> unsubscribe over HTTP, with real SMTP and DynamoDB."""

import base64
import datetime as dt
import json
import re
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import quote, urlencode

import boto3
import html5lib
import pytest

from hiroba_core import sns, tokens
from hiroba_core.domain.subscription import Preferences, SendStatus
from hiroba_core.mail import Mailer, SesTransport, SmtpTransport
from hiroba_core.services import sending
from infra.local.stack import ROOT, MailSink
from tests.newsletter.conftest import run_cli, token_of

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
PARSER = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)


def address():
    return f"t-{uuid.uuid4().hex[:12]}@example.jp"


def write_issue(folder, issue_id, topics, frequency="weekly"):
    target = folder / "newsletter" / issue_id
    target.mkdir(parents=True)
    (target / "issue.json").write_text(
        json.dumps(
            {
                "id": issue_id,
                "topics": topics,
                "frequency": frequency,
                "subject": "【メルマガ・みやぎ】テスト号",
                "text": "本文です。\n変更：\n%%HIROBA_MANAGE_URL%%\n停止：\n%%HIROBA_UNSUBSCRIBE_URL%%\n",
                "html": '<!DOCTYPE html><html lang="ja"><head><title>t</title></head><body>'
                '<h1>テスト号</h1><p><a href="%%HIROBA_UNSUBSCRIBE_URL%%">停止</a></p></body></html>',
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    return folder


def subscribe_and_confirm(api, inbox, email, topics=("bousai",), frequency="weekly"):
    reply = api.request(
        "POST",
        "/newsletter/subscriptions",
        {"email": email, "topics": list(topics), "frequency": frequency, "lang": "ja"},
    )
    assert reply.status == 202, reply
    (mail,) = inbox.to(email)
    token = token_of(mail, "confirm")
    reply = api.request("POST", "/newsletter/confirm", {"token": token})
    assert reply.json() == {"status": "confirmed"}, reply
    return mail


def test_subscribe_confirm_send_unsubscribe(api, inbox, stack, store, settings, tmp_path):
    email = address()
    # the site's form, without script: a plain POST, 303 to the check-mail page
    body = urlencode(
        [("email", email), ("topics", "bousai"), ("topics", "kensei"), ("frequency", "weekly")]
    )
    reply = api.request("POST", "/newsletter/subscriptions", headers=FORM, raw=body.encode())
    assert reply.status == 303 and reply.headers["location"] == "/newsletter/check-mail/"
    sid = tokens.subscriber_id(settings.secret, email)
    assert store.get_subscriber(sid) is None  # nothing stored before confirmation
    (mail,) = inbox.to(email)
    for header in ("Message-ID", "Date", "From"):
        assert mail[header]
    token = token_of(mail, "confirm")
    page = api.request("GET", f"/newsletter/confirm?token={quote(token)}")
    assert page.status == 200 and 'action="/api/publishing/newsletter/confirm"' in page.text()
    PARSER.parse(page.body)
    assert store.get_subscriber(sid) is None  # a GET (a link scanner) changes nothing
    reply = api.request(
        "POST", "/newsletter/confirm", headers=FORM, raw=urlencode({"token": token}).encode()
    )
    assert reply.status == 200 and "登録が完了しました" in reply.text()
    subscriber = store.get_subscriber(sid)
    assert subscriber.status == "confirmed"
    assert subscriber.preferences.topics == ("bousai", "kensei")

    # the issue matches both topics: one mail to this person
    output = write_issue(tmp_path, "2026-11-27-weekly-t1", ["bousai", "kensei"])
    result = run_cli(stack, "newsletter", "send", "2026-11-27-weekly-t1", "--output", str(output))
    assert "sent" in result.stdout
    issues = [m for m in inbox.to(email) if "テスト号" in m["Subject"]]
    assert len(issues) == 1
    issue = issues[0]
    for header in ("Message-ID", "Date", "From", "List-Unsubscribe"):
        assert issue[header], header
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = issue["List-Unsubscribe"].strip("<>")
    assert one_click.startswith(settings.site_url + "/api/publishing/newsletter/unsubscribe?")
    PARSER.parse(issue.get_body(("html",)).get_content().encode())
    assert "%%" not in issue.get_body(("plain",)).get_content()

    # a second run sends nothing again
    run_cli(stack, "newsletter", "send", "2026-11-27-weekly-t1", "--output", str(output))
    assert len([m for m in inbox.to(email) if "テスト号" in m["Subject"]]) == 1

    # preferences through the link in the mail
    manage = token_of(issue, "preferences")
    page = api.request("GET", f"/newsletter/preferences?token={quote(manage)}")
    assert page.status == 200 and 'value="kensei" checked' in page.text()
    PARSER.parse(page.body)
    body = urlencode([("token", manage), ("topics", "kanko"), ("frequency", "immediate")])
    reply = api.request("POST", "/newsletter/preferences", headers=FORM, raw=body.encode())
    assert reply.status == 200 and "保存しました" in reply.text()
    assert store.get_subscriber(sid).preferences.topics == ("kanko",)

    # the unsubscribe link: GET shows a page and changes nothing; POST unsubscribes
    path = one_click[len(settings.site_url + "/api/publishing") :]
    page = api.request("GET", path)
    assert page.status == 200 and store.get_subscriber(sid).status == "confirmed"
    # RFC 8058 one-click, twice: the same answer, no error
    for _ in range(2):
        reply = api.request(
            "POST",
            path,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            raw=b"List-Unsubscribe=One-Click",
        )
        assert reply.status == 200 and reply.json() == {"status": "unsubscribed"}, reply
    gone = store.get_subscriber(sid)
    assert gone.status == "unsubscribed" and gone.email is None  # the address is removed
    item = store.client.get_item(
        TableName=store.table, Key={"pk": {"S": f"SUBSCRIBER#{sid}"}, "sk": {"S": "SUBSCRIBER"}}
    )["Item"]
    assert "expires_at" in item  # and the record is deleted by TTL
    output = write_issue(tmp_path / "2", "2026-12-04-weekly-t1", ["kanko"])
    run_cli(stack, "newsletter", "send", "2026-12-04-weekly-t1", "--output", str(output))
    assert len(inbox.to(email)) == 2  # the confirmation and the one issue


def test_tampered_and_expired_tokens_are_refused(api, settings):
    data = {"e": address(), **Preferences(("kanko",), "weekly", "ja").as_dict()}
    good = tokens.seal(settings.secret, "confirm", data)
    tampered = good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:]
    expired = tokens.seal(settings.secret, "confirm", data, now=time.time() - 8 * 86400)
    other_purpose = tokens.seal(settings.secret, "unsubscribe", {"s": "x" * 32})
    for token in (tampered, expired, other_purpose, "", "not-a-token"):
        reply = api.request("POST", "/newsletter/confirm", {"token": token})
        assert reply.status == 400, reply
        assert reply.headers["content-type"].startswith("application/problem+json")
        problem = reply.json()
        assert problem["type"].endswith("/invalid-token") and problem["detail"]
        assert problem["detail_en"]
        page = api.request("GET", f"/newsletter/confirm?token={quote(token)}")
        assert page.status == 400 and "text/html" in page.headers["content-type"]
    reply = api.request(
        "POST", "/newsletter/unsubscribe?token=" + quote(good), headers=FORM, raw=b""
    )
    assert reply.status == 400  # a confirmation token cannot unsubscribe anyone


def test_validation_is_listed_in_both_languages(api):
    reply = api.request("POST", "/newsletter/subscriptions", {"email": "nope", "topics": []})
    assert reply.status == 422
    fields = {e["field"] for e in reply.json()["errors"]}
    assert fields == {"email", "topics"}
    page = api.request(
        "POST", "/newsletter/subscriptions", headers=FORM, raw=b"email=nope&frequency=weekly"
    )
    assert page.status == 422 and 'href="/newsletter/subscribe/#newsletter-email"' in page.text()


def sns_message(signing, recipients, kind="Bounce", bounce_type="Permanent"):
    if kind == "Bounce":
        event = {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bouncedRecipients": [{"emailAddress": r} for r in recipients],
            },
        }
    else:
        event = {
            "notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": r} for r in recipients]},
        }
    message = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:hiroba-ses",
        "Message": json.dumps(event),
        "Timestamp": dt.datetime.now(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "SignatureVersion": "2",
        "SigningCertURL": signing["url"],
    }
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = signing["key"].sign(
        sns.string_to_sign(message), padding.PKCS1v15(), hashes.SHA256()
    )
    message["Signature"] = base64.b64encode(signature).decode()
    return message


def post_sns(api, message):
    return api.request(
        "POST",
        "/newsletter/sns",
        headers={"Content-Type": "text/plain; charset=UTF-8"},
        raw=json.dumps(message).encode(),
    )


def test_bounce_and_complaint_suppress_the_address(api, inbox, store, settings, signing):
    bounced, complained = address(), address()
    for email in (bounced, complained):
        subscribe_and_confirm(api, inbox, email)
    forged = sns_message(signing, [bounced])
    forged["Message"] = forged["Message"].replace("Permanent", "Transient")
    assert post_sns(api, forged).status == 403  # altered after signing
    elsewhere = sns_message(signing, [bounced])
    elsewhere["SigningCertURL"] = "https://example.com/cert.pem"
    assert post_sns(api, elsewhere).status == 403
    mistyped = sns_message(signing, [bounced])
    mistyped["SigningCertURL"] = 1  # not text: refused, never a server error
    assert post_sns(api, mistyped).status == 403
    transient = post_sns(api, sns_message(signing, [bounced], bounce_type="Transient"))
    assert transient.json() == {"status": "ignored"}
    assert post_sns(api, sns_message(signing, [bounced])).json() == {"status": "suppressed:1"}
    reply = post_sns(api, sns_message(signing, [complained], kind="Complaint"))
    assert reply.json() == {"status": "suppressed:1"}
    for email in (bounced, complained):
        subscriber = store.get_subscriber(tokens.subscriber_id(settings.secret, email))
        assert subscriber.status == "suppressed" and subscriber.email is None
    # subscribing again sends nothing, and an old confirmation link cannot undo it
    before = len(inbox.to(bounced))
    reply = api.request(
        "POST", "/newsletter/subscriptions", {"email": bounced, "topics": ["kanko"]}
    )
    assert reply.status == 202 and len(inbox.to(bounced)) == before
    old = token_of(inbox.to(bounced)[0], "confirm")
    assert api.request("POST", "/newsletter/confirm", {"token": old}).json() == {
        "status": "suppressed"
    }


def received_by_address(sink):
    received = {}
    for path in sink.messages():
        to = next(
            line.split(":", 1)[1].strip()
            for line in path.read_text("utf-8", "replace").splitlines()
            if line.startswith("To:")
        )
        received[to] = received.get(to, 0) + 1
    return received


def crash_people(store, settings, count, tag):
    people = [f"{tag}-{n:03d}-{uuid.uuid4().hex[:6]}@example.jp" for n in range(count)]
    for email in people:
        sid = tokens.subscriber_id(settings.secret, email)
        store.confirm(sid, email, Preferences(("event",), "immediate", "ja"), "2026-11-27")
    return people


# paced (blocks of a second's sends: 5) and unpaced (blocks of BLOCK_SIZE, at full speed)
@pytest.mark.parametrize(("rate", "count", "kill_at"), [(5, 40, 12), (0, 400, 150)])
def test_killed_sender_restarts_and_delivers_exactly_once(
    stack, store, settings, tmp_path, rate, count, kill_at
):
    sink = MailSink(tmp_path / "mail").start()
    try:
        people = crash_people(store, settings, count, "crash")
        issue_id = f"2026-11-27-event-crash-{rate}"
        output = write_issue(tmp_path, issue_id, ["event"], "immediate")
        env = {**stack.env(), "HIROBA_MAIL": sink.url}
        args = [sys.executable, "-m", "infra.tools", "newsletter", "send"]
        args += [issue_id, "--output", str(output), "--rate", str(rate)]
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len(sink.messages()) < kill_at and time.monotonic() < deadline:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait()
        first = len(sink.messages())
        assert kill_at <= first < len(people)
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
        report = done.stdout
        ours = {k: v for k, v in received_by_address(sink).items() if k in people}
        # at most the block under way can be in doubt (claimed, killed before its outcomes
        # were written): reported as uncertain and not sent again
        uncertain = int(re.search(r"(\d+) uncertain", report).group(1))
        assert uncertain <= sending.block_size(rate), report
        assert uncertain == 0 or done.returncode == 1, report
        assert set(ours.values()) == {1}, ours  # nobody twice
        assert len(ours) >= len(people) - uncertain  # nobody missed but the uncertain
    finally:
        sink.stop()


def test_two_senders_racing_over_one_issue_send_each_copy_once(stack, store, settings, tmp_path):
    """Two sender processes started together on the same issue, unpaced: every block is
    claimed by one of them, and every recipient gets one copy."""
    sink = MailSink(tmp_path / "mail").start()
    try:
        people = crash_people(store, settings, 300, "race")
        output = write_issue(tmp_path, "2026-11-27-event-race", ["event"], "immediate")
        env = {**stack.env(), "HIROBA_MAIL": sink.url}
        args = [sys.executable, "-m", "infra.tools", "newsletter", "send"]
        args += ["2026-11-27-event-race", "--output", str(output), "--rate", "0", "--json"]
        senders = [
            subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        reports = [json.loads(p.communicate(timeout=120)[0]) for p in senders]
        received = received_by_address(sink)
        assert set(received.values()) == {1}, received  # nobody twice
        assert set(people) <= set(received)  # nobody missed
        assert sum(r["sent"] for r in reports) == len(received)
        # a block the other sender had claimed when this one read the records is in
        # flight: "uncertain" to this one, never sent by it
        for r in reports:
            assert r["retry"] == 0 and r["sent"] + r["already"] + r["uncertain"] == r["recipients"]
    finally:
        sink.stop()


def test_late_subscribers_and_uncertain_block_members_are_sent_on_their_own(
    store, settings, tmp_path
):
    """After a block was claimed, a newcomer in its range is claimed on their own (once);
    a block left "sending" by a crash counts its members uncertain, sends them only when
    asked, and the single sends written then win over the block's record."""
    sink = MailSink(tmp_path / "mail").start()
    try:
        mailer = Mailer(SmtpTransport("127.0.0.1", sink.port), settings.mail_from)
        topic = ("kanko",)  # no other test of this module mails it
        first = crash_people(store, settings, 7, "late")
        for email in first:
            sid = tokens.subscriber_id(settings.secret, email)
            store.confirm(sid, email, Preferences(topic, "weekly", "ja"), "2026-11-27")
        issue = sending.Issue("2026-11-27-late", "件名", "本文\n", None, topic, "weekly")
        report = sending.send_issue(store, mailer, issue, rate=0)
        wanted = report.recipients
        assert report.sent == wanted >= 7 and report.uncertain == 0
        newcomer = address()
        sid = tokens.subscriber_id(settings.secret, newcomer)
        store.confirm(sid, newcomer, Preferences(topic, "weekly", "ja"), "2026-11-28")
        again = sending.send_issue(store, mailer, issue, rate=0)
        assert (again.sent, again.already) == (1, wanted)  # the newcomer only
        assert received_by_address(sink)[newcomer] == 1
        assert store.sends(issue.id)[sid] == SendStatus.SENT

        # a crashed sender's block: claimed, never finished
        crashed = sending.Issue("2026-11-27-crashed", "件名", "本文\n", None, topic, "weekly")
        held = sorted(tokens.subscriber_id(settings.secret, e) for e in first[:3])
        assert store.claim_block(crashed.id, 0, held[-1] + "0", held, 1) is True
        before = received_by_address(sink)
        report = sending.send_issue(store, mailer, crashed, rate=0)
        assert report.uncertain == 3 and report.sent == wanted + 1 - 3
        resent = sending.send_issue(store, mailer, crashed, rate=0, resend_uncertain=True)
        assert resent.sent == 3 and resent.already == wanted + 1 - 3
        assert set(store.sends(crashed.id).values()) == {SendStatus.SENT}
        after = received_by_address(sink)
        assert all(after[e] == before.get(e, 0) + 1 for e in (*first, newcomer))
    finally:
        sink.stop()


def test_ses_copies_go_from_a_bounded_pool_each_once(store, settings):
    """SES v2 SendEmail from sending.WORKERS threads sharing one client, against the
    loopback AWS server (moto's, the tests' DynamoDB server): every copy handed over once."""
    aws = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    client = boto3.client(
        "sesv2", endpoint_url=settings.dynamodb_endpoint, region_name=settings.region, **aws
    )
    quota = boto3.client(
        "ses", endpoint_url=settings.dynamodb_endpoint, region_name=settings.region, **aws
    )
    client.create_email_identity(EmailIdentity=settings.mail_from)
    mailer = Mailer(SesTransport(client=client), settings.mail_from)
    topic = ("kanko",)

    def sent_so_far():
        return quota.get_send_quota()["SentLast24Hours"]

    before = sent_so_far()
    people = crash_people(store, settings, 30, "ses")
    for email in people:
        sid = tokens.subscriber_id(settings.secret, email)
        store.confirm(sid, email, Preferences(topic, "immediate", "ja"), "2026-11-27")
    issue = sending.Issue("2026-11-27-ses", "件名", "本文\n", None, topic, "immediate")
    report = sending.send_issue(store, mailer, issue, rate=0, workers=sending.WORKERS)
    assert report.sent == report.recipients >= 30 and not report.errors
    # moto counts a raw message's recipients: SendEmail's Destination and the To header
    assert sent_so_far() - before == 2 * report.sent
    assert set(store.sends(issue.id).values()) == {SendStatus.SENT}
    assert sending.send_issue(store, mailer, issue, rate=0).sent == 0
    assert sent_so_far() - before == 2 * report.sent  # the rerun sent nothing
