"""POST /consultations/{id}/comments over HTTP against the DynamoDB server: every rule."""

import email
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from hiroba_core import tokens
from hiroba_core.problems import TYPE_BASE

from .conftest import valid


def problem(reply, slug, status):
    assert reply.status == status, reply
    assert reply.headers["content-type"].startswith("application/problem+json")
    data = reply.json()
    assert data["type"] == TYPE_BASE + slug
    assert data["title"] and data["detail"] and data["title_en"] and data["detail_en"]
    assert "Traceback" not in reply.text()
    return data


def test_a_valid_comment_gets_a_receipt(api):
    reply = api.comment("open-one", valid())
    assert reply.status == 201, reply
    number = reply.json()["receipt_number"]
    assert len(number) == 9 and number[4] == "-"
    assert reply.headers["location"] == f"/api/publishing/receipts/{number.replace('-', '')}"
    looked_up = api.request("GET", f"/receipts/{number.lower()}")
    assert looked_up.json()["consultation_id"] == "open-one"


def test_a_proposal_is_always_open(api):
    reply = api.request("POST", "/proposals", valid(), {"X-Forwarded-For": api.client_ip()})
    assert reply.status == 201, reply
    assert reply.json()["consultation_id"] == "chiji-eno-teian"


@pytest.mark.parametrize(
    ("consultation", "state"), [("upcoming-one", "まだ始まっていません"), ("closed-one", "終了")]
)
def test_comments_outside_the_window_are_refused(api, consultation, state):
    data = problem(api.comment(consultation, valid()), "not-open", 409)
    assert state in data["detail"]
    assert "募集期間は" in data["detail"] and data["opens_at"] and data["closes_at"]


def test_unknown_consultation_is_404(api):
    problem(api.comment("no-such-thing", valid()), "not-found", 404)


RULES = [
    ("open-one", {"answers": {}}, "answers.q1", "ご意見を入力してください"),
    ("open-one", {"answers": {"q1": "　\n "}}, "answers.q1", "ご意見を入力してください"),
    ("open-one", {"answers": {"q1": "あ" * 4001}}, "answers.q1", "4000文字以内"),
    ("open-one", {"answers": {"q1": 12}}, "answers.q1", "文字で入力"),
    ("open-one", valid(email="not-an-address"), "email", "name@example.jp"),
    ("open-one", valid(email="a@b"), "email", "name@example.jp"),
    ("open-one", valid(name="名" * 101), "name", "100文字以内"),
    ("open-one", valid(address="市" * 201), "address", "200文字以内"),
    ("open-one", valid(age_group="99代"), "age_group", "一覧から選んで"),
    ("open-one", valid(send_copy=True), "email", "控えを受け取る"),
    ("open-strict", valid(email="a@example.jp", age_group="30代"), "name", "氏名（団体名）を入力"),
    ("open-strict", valid(name="宮城 太郎", age_group="30代"), "email", "メールアドレスを入力"),
    ("open-strict", valid(name="宮城 太郎", email="a@example.jp"), "age_group", "年代を選んで"),
]


@pytest.mark.parametrize(("consultation", "body", "field", "message"), RULES)
def test_every_validation_rule(api, consultation, body, field, message):
    data = problem(api.comment(consultation, body), "validation", 422)
    matching = [e for e in data["errors"] if e["field"] == field]
    assert matching and message in matching[0]["message"], data["errors"]
    assert matching[0]["message_en"]


def test_all_problems_are_reported_at_once(api):
    data = problem(api.comment("open-strict", {"answers": {}, "email": "x"}), "validation", 422)
    assert {e["field"] for e in data["errors"]} == {"answers.q1", "name", "email", "age_group"}


def test_text_is_nfkc_normalised(api, stack, staff_token):
    body = valid(name="ﾐﾔｷﾞ　太郎", address="仙台市")
    body["answers"] = {"q1": "ＡＢＣ１２３は\r\n改行も\u200bそのまま"}
    reply = api.comment("open-one", body)
    assert reply.status == 201, reply
    listing = api.request(
        "GET",
        "/staff/consultations/open-one/comments",
        headers={"Authorization": f"Bearer {staff_token()}"},
    ).json()
    mine = [c for c in listing["comments"] if c["receipt_number"] == reply.json()["receipt_number"]]
    assert mine[0]["answers"]["q1"] == "ABC123は\n改行もそのまま"
    assert mine[0]["personal"]["name"] == "ミヤギ 太郎"


def test_bad_json_is_400(api):
    raw = b'{"answers": '
    reply = api.request(
        "POST",
        "/consultations/open-one/comments",
        raw=raw,
        headers={"Content-Type": "application/json", "X-Forwarded-For": api.client_ip()},
    )
    problem(reply, "bad-json", 400)
    reply = api.comment("open-one", ["not", "an", "object"])
    problem(reply, "bad-json", 400)


def test_bodies_over_64_kb_are_413(api):
    reply = api.comment("open-one", {"answers": {"q1": "x" * (65 * 1024)}})
    problem(reply, "too-large", 413)


def test_wrong_content_type_is_415(api):
    reply = api.request(
        "POST",
        "/consultations/open-one/comments",
        raw=b"answers",
        headers={"Content-Type": "text/plain", "X-Forwarded-For": api.client_ip()},
    )
    problem(reply, "unsupported-media-type", 415)


def test_wrong_method_is_a_problem(api):
    reply = api.request("DELETE", "/consultations/open-one/comments")
    problem(reply, "method-not-allowed", 405)


def test_honeypot_stops_bots(api):
    problem(api.comment("open-one", valid(website="http://spam.example")), "suspected-bot", 400)


def test_forms_sent_too_fast_are_refused_and_patient_ones_accepted(api, stack):
    secret = stack.settings().secret
    fresh = tokens.form_ticket(secret)
    problem(api.comment("open-one", valid(ticket=fresh)), "suspected-bot", 400)
    problem(api.comment("open-one", valid(ticket="123.forged")), "suspected-bot", 400)
    patient = tokens.form_ticket(secret, time.time() - 30)
    assert api.comment("open-one", valid(ticket=patient)).status == 201
    assert "ticket" in api.request("GET", "/form-ticket").json()


def test_rate_limit_per_client_with_retry_after(api):
    client = api.client_ip()
    for n in range(5):
        body = {"answers": {"q1": f"意見{n}"}}
        assert api.comment("open-one", body, client=client).status == 201
    data = problem(api.comment("open-one", valid(), client=client), "rate-limited", 429)
    reply = api.comment("open-one", valid(), client=client)
    assert 0 < int(reply.headers["retry-after"]) <= 600
    assert "分ほど" in data["detail"]
    assert api.comment("open-one", valid(), client=api.client_ip()).status == 201


def test_idempotency_key_replays_and_conflicts(api):
    key = {"Idempotency-Key": "key-" + str(time.time_ns())}
    first = api.comment("open-one", valid(), key)
    again = api.comment("open-one", valid(), key)
    assert first.status == 201 and again.status == 200, (first, again)
    assert again.json()["receipt_number"] == first.json()["receipt_number"]
    assert again.headers["idempotent-replayed"] == "true"
    other = api.comment("open-one", {"answers": {"q1": "別の内容"}}, key)
    problem(other, "idempotency-conflict", 409)
    problem(api.comment("open-one", valid(), {"Idempotency-Key": "short"}), "validation", 422)


def test_fifty_concurrent_requests_with_one_key_make_one_comment(api, db):
    key = "concurrent-" + str(time.time_ns())
    body = {"answers": {"q1": f"同時送信 {key}"}}
    client = api.client_ip()
    with ThreadPoolExecutor(max_workers=50) as pool:
        replies = list(
            pool.map(
                lambda _: api.comment("open-one", body, {"Idempotency-Key": key}, client),
                range(50),
            )
        )
    assert all(r.status in (200, 201) for r in replies), [r for r in replies if r.status > 201]
    assert sum(r.status == 201 for r in replies) == 1
    assert len({r.json()["receipt_number"] for r in replies}) == 1
    client_, table = db
    items = client_.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "CONSULTATION#open-one"}, ":s": {"S": "COMMENT#"}},
        ConsistentRead=True,
    )["Items"]
    assert sum(i["answers"]["M"]["q1"]["S"] == body["answers"]["q1"] for i in items) == 1


def _new_mail(stack, before):
    for _ in range(50):
        new = set(stack.mail.messages()) - before
        if new:
            break
        time.sleep(0.1)
    (path,) = new
    return email.message_from_bytes(path.read_bytes())


def _subject(message):
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def test_copy_mail_goes_through_smtp_after_the_address_is_verified(api, stack):
    resident = f"taro-{uuid.uuid4().hex[:8]}@example.jp"
    before = set(stack.mail.messages())
    reply = api.comment("open-one", valid(email=resident, send_copy="yes"))
    assert reply.status == 201, reply
    number = reply.json()["receipt_number"]
    verification = _new_mail(stack, before)
    assert verification["To"] == resident
    text = verification.get_payload(decode=True).decode("utf-8")
    assert number not in _subject(verification) and number not in text
    token = unquote(re.search(r"/comments/copy\?token=(\S+)", text).group(1))

    before = set(stack.mail.messages())
    sent = api.request("POST", "/comments/copy", {"token": token})
    assert sent.status == 200 and sent.json() == {"status": "sent"}, sent
    copy = _new_mail(stack, before)
    assert copy["To"] == resident
    assert number in _subject(copy)
    assert number in copy.get_payload(decode=True).decode("utf-8")


def test_personal_data_is_kept_apart_and_expires_by_ttl(api, db, stack):
    reply = api.comment("open-one", valid(name="宮城 花子", email="hanako@example.jp"))
    number = reply.json()["receipt_number"].replace("-", "")
    client, table = db
    receipt = client.get_item(
        TableName=table, Key={"pk": {"S": f"RECEIPT#{number}"}, "sk": {"S": "RECEIPT"}}
    )
    comment_id = receipt["Item"]["comment_id"]["S"]
    key = {"pk": {"S": "CONSULTATION#open-one"}}
    comment = client.get_item(TableName=table, Key={**key, "sk": {"S": f"COMMENT#{comment_id}"}})
    assert "hanako" not in str(comment["Item"]) and "花子" not in str(comment["Item"])
    personal = client.get_item(TableName=table, Key={**key, "sk": {"S": f"PERSONAL#{comment_id}"}})
    expires = int(personal["Item"]["expires_at"]["N"])
    expected = datetime.now(UTC).timestamp() + 30 * 86400
    assert abs(expires - expected) < 120
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
