"""The procedures app over HTTP against the DynamoDB server: applications (電子申請), status
inquiries (申請状況の照会) as JSON, HTML and Shift_JIS handset pages, and the staff's tools."""

import copy
import re
import time
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, quote_from_bytes, urlencode

import html5lib
import pytest

from hiroba_core import catalogue, ids
from hiroba_core.dates import JST
from hiroba_core.errors import ValidationFailed
from hiroba_core.services import applications
from hiroba_core.store.procedures import ProceduresStore

from .conftest import Api, settings_for
from .test_api import problem

TODAY = datetime.now(JST).date()
# the applicant's own number: not the prefecture's 022-211-2111, which every page's
# contact block shows
NAME, PHONE = "宮城 花子", "022-301-1234"
BROWSER = {
    "Accept": "text/html,application/xhtml+xml",
    "Content-Type": "application/x-www-form-urlencoded",
}
HANDSET = {
    "Accept": "application/xhtml+xml, text/html",
    "Content-Type": "application/x-www-form-urlencoded",
}
XHTML = "{http://www.w3.org/1999/xhtml}"
XML = "{http://www.w3.org/XML/1998/namespace}"
BASIC_ELEMENTS = {  # the modules of XHTML Basic 1.0
    *("html", "head", "title", "meta", "link", "base", "body", "a", "br", "p", "div", "span"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "abbr", "acronym", "address", "blockquote", "cite"),
    *("code", "dfn", "em", "kbd", "pre", "q", "samp", "strong", "var", "dl", "dt", "dd", "ol"),
    *("ul", "li", "form", "input", "label", "select", "option", "textarea", "table", "caption"),
    *("td", "th", "tr", "img", "object", "param"),
}
BASIC_ATTRIBUTES = {f"{XML}lang", "http-equiv", "content", "href", "accesskey", "id", "class"}
BODIES = {
    "nozei-shomei": {
        "procedure": "nozei-shomei",
        "applicant": {
            "name": NAME,
            "kana": "ミヤギ ハナコ",
            "postal_code": "980-8570",
            "address": "仙台市青葉区本町三丁目8番1号",
            "phone": PHONE,
        },
        "answers": {
            "tax": "自動車税（種別割）",
            "fiscal_year": "令和7年度",
            "copies": 2,
            "purpose": "自動車の継続検査（車検）",
            "delivery": "郵送",
        },
    },
    "jidosha-jusho-henko": {
        "procedure": "jidosha-jusho-henko",
        "applicant": {
            "name": NAME,
            "kana": "みやぎ はなこ",
            "postal_code": "9860812",
            "address": "石巻市東中里一丁目2番3号",
            "phone": "0225-95-1111",
        },
        "answers": {
            "registration_number": "宮城 300 あ 12-34",
            "old_address": "仙台市青葉区本町三丁目8番1号",
            "moved_on": TODAY.isoformat(),
        },
    },
    "nyusatsu-taimen-yoyaku": {
        "procedure": "nyusatsu-taimen-yoyaku",
        "applicant": {
            "organization": "株式会社みやぎ建設",
            "name": "宮城 太郎",
            "address": "仙台市宮城野区榴岡1-1-1",
            "phone": "022-111-2222",
            "email": "taro@example.jp",
        },
        "answers": {
            "category": "建設工事",
            "preferred_date": (TODAY + timedelta(days=14)).isoformat(),
        },
    },
}


def body(procedure="nozei-shomei", applicant=None, answers=None, **extra):
    data = copy.deepcopy(BODIES[procedure])
    data["applicant"].update(applicant or {})
    data["answers"].update(answers or {})
    for key, value in (applicant or {}).items():
        if value is None:
            del data["applicant"][key]
    for key, value in (answers or {}).items():
        if value is None:
            del data["answers"][key]
    return {**data, **extra}


def apply(procedures, data, headers=None, client=None):
    headers = {"X-Forwarded-For": client or Api.client_ip(), **(headers or {})}
    return procedures.request("POST", "/applications", data, headers)


def applied(procedures, data=None, headers=None):
    reply = apply(procedures, data or body(), headers)
    assert reply.status == 201, reply
    return reply.json()


def inquire(procedures, fields, client=None, headers=None, path="/inquiries"):
    headers = {"X-Forwarded-For": client or Api.client_ip(), **(headers or {})}
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return procedures.request("POST", path, raw=urlencode(fields).encode(), headers=headers)
    return procedures.request("POST", path, fields, headers)


def fields(accepted, **changes):
    return {"reference": accepted["reference"], "inquiry_code": accepted["inquiry_code"], **changes}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- intake


def test_an_application_gets_a_reference_number_and_an_inquiry_code(procedures):
    data = applied(procedures)
    assert re.fullmatch(rf"[{ids.ALPHABET}]{{4}}(-[{ids.ALPHABET}]{{4}}){{2}}", data["reference"])
    assert re.fullmatch(rf"[{ids.ALPHABET}]{{5}}-[{ids.ALPHABET}]{{5}}", data["inquiry_code"])
    assert data["procedure"] == {
        "id": "nozei-shomei",
        "title": "県税の納税証明書の交付申請",
        "title_en": "Application for a certificate of prefectural tax payment",
    }
    assert (data["status"], data["status_label"], data["status_label_en"]) == (
        "received",
        "到達",
        "Received",
    )
    assert data["fee"] == 800  # 400 yen a copy, 2 copies
    assert abs(datetime.fromisoformat(data["received_at"]) - datetime.now(UTC)) < timedelta(
        minutes=2
    )
    for procedure in ("jidosha-jusho-henko", "nyusatsu-taimen-yoyaku"):
        assert applied(procedures, body(procedure))["fee"] == 0
    assert applied(procedures)["reference"] != data["reference"]


RULES = [
    ({"procedure": None}, "procedure", "申請する手続を選んでください"),
    ({"procedure": "kakuu-no-tetsuzuki"}, "procedure", "電子申請で受け付けていません"),
    ({"applicant": ["宮城"]}, "applicant", "申請者の情報を入力してください"),
    ({"answers": "車検"}, "answers", "申請の内容を入力してください"),
    ({"applicant": {"name": None}}, "applicant.name", "氏名を入力してください"),
    ({"applicant": {"name": "名" * 101}}, "applicant.name", "100文字以内"),
    ({"applicant": {"name": 7}}, "applicant.name", "氏名は文字で入力してください"),
    ({"applicant": {"kana": "Miyagi"}}, "applicant.kana", "ひらがなかカタカナ"),
    ({"applicant": {"postal_code": "980-857"}}, "applicant.postal_code", "7桁の数字"),
    ({"applicant": {"address": "　"}}, "applicant.address", "住所を入力してください"),
    ({"applicant": {"phone": "211-2111"}}, "applicant.phone", "市外局番から"),
    ({"applicant": {"email": "hanako@"}}, "applicant.email", "name@example.jp"),
    ({"answers": {"tax": None}}, "answers.tax", "証明を受ける税目を選んでください"),
    ({"answers": {"tax": "固定資産税"}}, "answers.tax", "一覧から選んでください"),
    ({"answers": {"fiscal_year": ""}}, "answers.fiscal_year", "証明を受ける年度を入力してください"),
    ({"answers": {"fiscal_year": "年" * 21}}, "answers.fiscal_year", "20文字以内"),
    ({"answers": {"copies": 0}}, "answers.copies", "1から10までの数字"),
    ({"answers": {"copies": "11"}}, "answers.copies", "1から10までの数字"),
    ({"answers": {"copies": 2.5}}, "answers.copies", "1から10までの数字"),
    ({"answers": {"copies": True}}, "answers.copies", "1から10までの数字"),
]
OTHER_RULES = [
    (
        "jidosha-jusho-henko",
        {"answers": {"moved_on": (TODAY + timedelta(days=1)).isoformat()}},
        "answers.moved_on",
        "今日までの日付",
    ),
    (
        "jidosha-jusho-henko",
        {"answers": {"moved_on": "4月1日"}},
        "answers.moved_on",
        "実際にある日付",
    ),
    (
        "jidosha-jusho-henko",
        {"answers": {"moved_on": "2026-02-30"}},
        "answers.moved_on",
        "実際にある日付",
    ),
    (  # 平成32年 never was (it is 令和2年): a typo, not a date
        "jidosha-jusho-henko",
        {"answers": {"moved_on": "平成32年1月1日"}},
        "answers.moved_on",
        "実際にある日付",
    ),
    (
        "nyusatsu-taimen-yoyaku",
        {"answers": {"preferred_date": TODAY.isoformat()}},
        "answers.preferred_date",
        "明日からの日付",
    ),
    (
        "nyusatsu-taimen-yoyaku",
        {"answers": {"message": "あ" * 401}},
        "answers.message",
        "400文字以内",
    ),
    (
        "nyusatsu-taimen-yoyaku",
        {"applicant": {"email": None}},
        "applicant.email",
        "メールアドレスを入力",
    ),
    (
        "nyusatsu-taimen-yoyaku",
        {"applicant": {"organization": None}},
        "applicant.organization",
        "法人・団体の名称を入力",
    ),
]


def _apply_rule(procedures, procedure, change):
    dicts = {k: v for k, v in change.items() if isinstance(v, dict)}
    data = body(procedure, dicts.get("applicant"), dicts.get("answers"))
    for key in ("procedure", "applicant", "answers"):
        if key in change and not isinstance(change[key], dict):
            data[key] = change[key]
            if change[key] is None:
                del data[key]
    return apply(procedures, data)


@pytest.mark.parametrize(
    ("procedure", "change", "field", "message"),
    [("nozei-shomei", *rule) for rule in RULES] + OTHER_RULES,
)
def test_every_validation_rule(procedures, procedure, change, field, message):
    data = problem(_apply_rule(procedures, procedure, change), "validation", 422)
    matching = [e for e in data["errors"] if e["field"] == field]
    assert matching and message in matching[0]["message"], data["errors"]
    assert matching[0]["message_en"]
    assert len(data["errors"]) == 1, data["errors"]  # only the broken field


def test_all_problems_are_reported_at_once_and_text_is_normalised(procedures, staff_token):
    data = {"procedure": "nozei-shomei", "applicant": {"kana": "ﾐﾔｷﾞ"}, "answers": {"copies": 99}}
    errors = problem(apply(procedures, data), "validation", 422)["errors"]
    assert {e["field"] for e in errors} == {
        "applicant.name",
        "applicant.postal_code",
        "applicant.address",
        "applicant.phone",
        "answers.tax",
        "answers.fiscal_year",
        "answers.copies",
        "answers.purpose",
        "answers.delivery",
    }
    accepted = applied(
        procedures,
        body(
            applicant={
                "kana": "ﾐﾔｷﾞ ﾊﾅｺ",
                "postal_code": "９８０８５７０",
                "phone": "０２２-２１１-２１１１",
            },
            answers={"tax": "自動車税(種別割)", "copies": "３"},
        ),
    )
    assert accepted["fee"] == 1200
    listing = procedures.request(
        "GET",
        "/staff/applications?procedure=nozei-shomei",
        headers=auth(staff_token(department="zeimu")),
    ).json()
    mine = [a for a in listing["applications"] if a["reference"] == accepted["reference"]][0]
    assert mine["applicant"]["kana"] == "ミヤギ ハナコ"
    assert mine["applicant"]["postal_code"] == "980-8570"
    assert mine["applicant"]["phone"] == "022-211-2111"
    assert mine["answers"]["tax"] == "自動車税（種別割）"  # stored as the catalogue writes it
    assert mine["answers"]["copies"] == 3


def test_json_only_and_malformed_bodies(procedures):
    raw = urlencode({"procedure": "nozei-shomei"}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    problem(
        procedures.request("POST", "/applications", raw=raw, headers=form),
        "unsupported-media-type",
        415,
    )
    json_type = {"Content-Type": "application/json"}
    problem(
        procedures.request("POST", "/applications", raw=b"{", headers=json_type), "bad-json", 400
    )
    problem(
        procedures.request("POST", "/applications", raw=b"[1]", headers=json_type), "bad-json", 400
    )


def test_idempotency_key_replays_the_same_numbers_and_conflicts(procedures):
    key = {"Idempotency-Key": f"apply-{time.time_ns()}"}
    client = Api.client_ip()
    first = apply(procedures, body(), key, client)
    again = apply(procedures, body(), key, client)
    assert (first.status, again.status) == (201, 200), (first, again)
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json() == first.json()  # the same 到達番号 and 問合せ番号
    status = inquire(procedures, fields(again.json()))
    assert status.status == 200, status
    other = apply(procedures, body(answers={"copies": 3}), key, client)
    problem(other, "idempotency-conflict", 409)
    problem(apply(procedures, body(), {"Idempotency-Key": "short"}), "validation", 422)


def test_a_retry_after_midnight_replays_the_first_answer(stack):
    """A date that must be from tomorrow, sent at 23:59:59 JST and retried at 00:00:05:
    the retry is the same request, checked as of the first receipt, and replayed."""
    store = ProceduresStore(settings_for(stack))
    procedures = catalogue.load(catalogue.REPOSITORY)
    evening = datetime(2031, 3, 3, 14, 59, 59, tzinfo=UTC)  # 23:59:59 JST, 3 March
    data = body("nyusatsu-taimen-yoyaku", answers={"preferred_date": "2031-03-04"})
    key = f"midnight-{uuid.uuid4()}"
    first, replayed = applications.submit(
        store, procedures, data, client=Api.client_ip(), idempotency_key=key, now=evening
    )
    assert not replayed
    after_midnight = evening + timedelta(seconds=6)
    again, replayed = applications.submit(
        store, procedures, data, client=Api.client_ip(), idempotency_key=key, now=after_midnight
    )
    assert replayed and again.reference == first.reference
    assert again.inquiry_code == first.inquiry_code
    # without the key it is a new request, checked now: the date is no longer in the future
    with pytest.raises(ValidationFailed):
        applications.submit(store, procedures, data, client=Api.client_ip(), now=after_midnight)


def test_twenty_concurrent_requests_with_one_key_make_one_application(procedures, procedures_db):
    key = f"apply-concurrent-{time.time_ns()}"
    marker = f"令和{time.time_ns() % 10**9}年度"
    data = body(answers={"fiscal_year": marker})
    client = Api.client_ip()
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(
            pool.map(lambda _: apply(procedures, data, {"Idempotency-Key": key}, client), range(20))
        )
    assert all(r.status in (200, 201) for r in replies), [r for r in replies if r.status > 201]
    assert sum(r.status == 201 for r in replies) == 1
    assert len({(r.json()["reference"], r.json()["inquiry_code"]) for r in replies}) == 1
    client_, table = procedures_db
    found = client_.query(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "PROCEDURE#nozei-shomei"}},
    )["Items"]
    mine = [
        i for i in found if i.get("answers", {}).get("M", {}).get("fiscal_year") == {"S": marker}
    ]
    assert len(mine) == 1


def test_intake_is_rate_limited_per_client(procedures):
    client = Api.client_ip()
    for _ in range(5):
        assert apply(procedures, body(), client=client).status == 201
    reply = apply(procedures, body(), client=client)
    problem(reply, "rate-limited", 429)
    assert 0 < int(reply.headers["retry-after"]) <= 600
    assert apply(procedures, body()).status == 201


def test_personal_data_is_kept_apart_expires_and_is_never_in_the_inquiry(procedures, procedures_db):
    accepted = applied(procedures, body(applicant={"email": "hanako@example.jp"}))
    reference = accepted["reference"].replace("-", "")
    client, table = procedures_db
    key = {"pk": {"S": f"APPLICATION#{reference}"}}
    item = client.get_item(TableName=table, Key={**key, "sk": {"S": "APPLICATION"}})["Item"]
    personal = client.get_item(TableName=table, Key={**key, "sk": {"S": "APPLICANT"}})["Item"]
    for secret in (NAME, "hanako@example.jp", PHONE, "本町三丁目", accepted["inquiry_code"]):
        assert secret not in str(item)
    assert accepted["inquiry_code"].replace("-", "") not in str(item) + str(personal)
    assert personal["applicant"]["M"]["name"] == {"S": NAME}
    expires = int(personal["expires_at"]["N"])
    assert abs(expires - (datetime.now(UTC).timestamp() + 365 * 86400)) < 120
    assert "expires_at" not in item  # the record of the application itself stays
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    reply = inquire(procedures, fields(accepted))
    assert reply.status == 200, reply
    for secret in (NAME, "hanako", PHONE, "本町", "980-8570", "applicant", "note"):
        assert secret not in reply.text()


# ---------------------------------------------------------------- inquiries


def test_inquiry_json_reports_status_history_and_fee(procedures):
    accepted = applied(procedures)
    reply = inquire(procedures, fields(accepted))
    assert reply.status == 200, reply
    assert reply.headers["cache-control"] == "no-store"
    data = reply.json()
    assert data["reference"] == accepted["reference"]
    assert data["procedure"]["title"] == "県税の納税証明書の交付申請"
    assert (data["status"], data["status_label"], data["status_label_en"]) == (
        "received",
        "到達",
        "Received",
    )
    assert data["received_at"] == accepted["received_at"]
    assert data["history"] == [
        {
            "status": "received",
            "status_label": "到達",
            "status_label_en": "Received",
            "at": accepted["received_at"],
        }
    ]
    assert (data["fee"], data["payment"], data["payment_label"]) == (800, "unpaid", "未納")
    # typed by hand: lower case, spaces instead of hyphens, full-width characters
    typed = {
        "reference": accepted["reference"].lower().replace("-", " "),
        "inquiry_code": accepted["inquiry_code"].replace("A", "Ａ"),
    }
    assert inquire(procedures, typed).json()["reference"] == accepted["reference"]
    form = inquire(
        procedures, fields(accepted), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status == 200 and form.json() == data
    free = applied(procedures, body("jidosha-jusho-henko"))
    data = inquire(procedures, fields(free)).json()
    assert (data["fee"], data["payment"]) == (0, "not-required")


def _other_code(code):
    first = code[0]
    return ids.ALPHABET[(ids.ALPHABET.index(first) + 1) % len(ids.ALPHABET)] + code[1:]


def test_wrong_code_and_unknown_reference_get_the_same_404(procedures):
    accepted = applied(procedures)
    wrong_code = inquire(
        procedures, fields(accepted, inquiry_code=_other_code(accepted["inquiry_code"]))
    )
    unknown = inquire(
        procedures, fields(accepted, reference=ids.format_reference(ids.new_reference()))
    )
    data = problem(wrong_code, "not-found", 404)
    assert unknown.status == 404
    assert unknown.body == wrong_code.body
    assert {k: v for k, v in unknown.headers.items() if k not in ("date", "content-length")} == {
        k: v for k, v in wrong_code.headers.items() if k not in ("date", "content-length")
    }
    assert "到達番号または問合せ番号が違います" in data["detail"]
    assert {e["field"] for e in data["errors"]} == {"reference", "inquiry_code"}
    empty = problem(inquire(procedures, {"reference": "", "inquiry_code": " "}), "validation", 422)
    assert [e["message"] for e in empty["errors"]] == [
        "到達番号を入力してください",
        "問合せ番号を入力してください",
    ]
    short = problem(inquire(procedures, {"reference": "ABC", "inquiry_code": 5}), "validation", 422)
    assert (
        "12文字" in short["errors"][0]["message"] and short["errors"][1]["field"] == "inquiry_code"
    )


def test_inquiries_are_rate_limited_per_client(procedures):
    client = Api.client_ip()
    guess = {"reference": ids.format_reference(ids.new_reference()), "inquiry_code": "34679-ACEFG"}
    for _ in range(10):
        assert inquire(procedures, guess, client=client).status == 404
    reply = inquire(procedures, guess, client=client)
    problem(reply, "rate-limited", 429)
    assert 0 < int(reply.headers["retry-after"]) <= 600
    handset = inquire(procedures, guess, client=client, headers=HANDSET, path="/m/inquiries")
    assert handset.status == 429 and handset.headers["retry-after"]
    assert "送信が多すぎます" in handset.body.decode("cp932")
    assert inquire(procedures, guess).status == 404  # another client is not affected


def _html(reply):
    assert reply.headers["content-type"] == "text/html; charset=utf-8", reply
    text = reply.text()
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    document = parser.parse(text)  # raises on any parse error
    assert text.startswith("<!DOCTYPE html>")
    assert document.get("lang") == "ja"
    assert len(document.findall(".//h1")) == 1
    assert len(document.findall(".//main")) == 1 and document.find(".//header") is not None
    assert document.find(".//title").text.endswith("宮城県")
    return document


def test_a_browser_posting_the_form_gets_a_page(procedures):
    accepted = applied(procedures)
    reply = inquire(procedures, fields(accepted), headers=BROWSER)
    assert reply.status == 200, reply
    page = _html(reply)
    text = "".join(page.itertext())
    assert page.find(".//h1").text == "申請の状況"
    for expected in ("到達", accepted["reference"], "県税の納税証明書の交付申請", "800円（未納）"):
        assert expected in text
    assert page.find(".//table/caption").text == "これまでの経過"
    assert [th.get("scope") for th in page.findall(".//th")] == ["col", "col"]
    assert "/procedures/status/" in [a.get("href") for a in page.findall(".//a")]
    for secret in (NAME, PHONE):
        assert secret not in reply.text()


def test_a_browser_gets_an_error_summary_linking_to_the_fields(procedures):
    accepted = applied(procedures)
    empty = inquire(procedures, {"reference": "", "inquiry_code": ""}, headers=BROWSER)
    wrong = inquire(
        procedures,
        fields(accepted, inquiry_code=_other_code(accepted["inquiry_code"])),
        headers=BROWSER,
    )
    unknown = inquire(
        procedures,
        fields(accepted, reference=ids.format_reference(ids.new_reference())),
        headers=BROWSER,
    )
    assert (empty.status, wrong.status, unknown.status) == (422, 404, 404)
    assert wrong.body == unknown.body
    for reply in (empty, wrong):
        page = _html(reply)
        summary = page.find(".//div[@class='hiroba-error-summary']")
        assert summary.get("role") == "alert" and summary.find("h1") is not None
        links = [a.get("href") for a in summary.findall(".//a")]
        assert links == [
            "/procedures/status/#inquiry-reference",
            "/procedures/status/#inquiry-code",
        ]
        back = [a.get("href") for a in page.findall(".//main/p/a")]
        assert back == ["/procedures/status/"]
    assert "到達番号を入力してください" in empty.text()


def _handset(reply):
    assert reply.headers["content-type"] == "text/html; charset=Shift_JIS", reply
    assert len(reply.body) <= 10240
    assert reply.body.startswith(
        b'<?xml version="1.0" encoding="Shift_JIS"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML Basic 1.0//EN"'
    )
    text = reply.body.decode("cp932")  # strict: every byte is Shift_JIS (cp932)
    assert '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS" />' in text
    assert "<script" not in text and "style" not in text and "<link" not in text
    root = ET.fromstring(text.split("?>", 1)[1])  # well-formed XML (the XHTML Basic doctype)
    assert root.tag == f"{XHTML}html" and root.get(f"{XML}lang") == "ja"
    for element in root.iter():  # only what XHTML Basic 1.0 has (no hr, no lang, no style)
        assert element.tag.removeprefix(XHTML) in BASIC_ELEMENTS, element.tag
        assert set(element.attrib) <= BASIC_ATTRIBUTES, element.attrib
    links = root.findall(f".//{XHTML}a")
    keys = [a.get("accesskey") for a in links]
    assert len(keys) == len(set(keys))
    for a in links:
        assert a.text.startswith(f"[{a.get('accesskey')}]")
    assert {(a.get("href"), a.text) for a in links} >= {
        ("/m/", "[0]トップ"),
        ("/m/procedures/status/", "[9]もう一度照会"),
    }
    return text


def _sjis_form(data):
    """A form as a Shift_JIS page posts it: each field percent-encoded as cp932."""
    return "&".join(
        f"{quote_from_bytes(k.encode('cp932'))}={quote_from_bytes(v.encode('cp932'))}"
        for k, v in data.items()
    ).encode("ascii")


def test_a_feature_phone_gets_a_shift_jis_page(procedures):
    accepted = applied(procedures, body("jidosha-jusho-henko"))
    data = fields(accepted, submit="照会する")  # the button's label arrives in cp932
    headers = {"X-Forwarded-For": Api.client_ip(), **HANDSET}
    reply = procedures.request("POST", "/m/inquiries", raw=_sjis_form(data), headers=headers)
    assert reply.status == 200, reply
    text = _handset(reply)
    for expected in (
        "申請状況",
        "自動車税（種別割）の住所変更届",
        accepted["reference"],
        "状況: <strong>到達</strong>",
        "手数料はかかりません",
    ):
        assert expected in text
    assert NAME not in text and "0225" not in text


def test_a_feature_phone_gets_its_errors_in_plain_text(procedures):
    accepted = applied(procedures)
    headers = {"X-Forwarded-For": Api.client_ip(), **HANDSET}
    empty = procedures.request(
        "POST", "/m/inquiries", raw=b"reference=&inquiry_code=", headers=headers
    )
    assert empty.status == 422
    text = _handset(empty)
    assert "・到達番号を入力してください<br />" in text and "・問合せ番号を入力してください" in text
    wrong = fields(accepted, inquiry_code=_other_code(accepted["inquiry_code"]))
    reply = procedures.request("POST", "/m/inquiries", raw=_sjis_form(wrong), headers=headers)
    assert reply.status == 404
    assert "到達番号または問合せ番号が違います" in _handset(reply)
    garbage = procedures.request(
        "POST", "/m/inquiries", raw=b"reference=%82%A0%FF%FE&inquiry_code=%ZZ", headers=headers
    )
    assert garbage.status == 422 and "12文字" in _handset(garbage)
    # a client that accepts no HTML gets a problem, not a server error
    json_only = {"X-Forwarded-For": Api.client_ip(), **HANDSET, "Accept": "application/json"}
    refused = procedures.request("POST", "/m/inquiries", raw=_sjis_form(wrong), headers=json_only)
    problem(refused, "not-acceptable", 406)


# ---------------------------------------------------------------- staff


def every_listed(procedures, token, procedure, limit=50):
    """Every application of a procedure, following next_cursor page by page."""
    listed, cursor, pages = [], None, 0
    while True:
        path = f"/staff/applications?procedure={procedure}&limit={limit}"
        if cursor:
            path += f"&cursor={quote(cursor)}"
        reply = procedures.request("GET", path, headers=token)
        assert reply.status == 200, reply
        data = reply.json()
        assert len(data["applications"]) <= limit
        listed += data["applications"]
        cursor, pages = data["next_cursor"], pages + 1
        if not cursor:
            return listed
        assert pages < 100


def test_staff_list_pages_through_every_application_once(procedures, staff_token):
    token = auth(staff_token(department="zeimu"))
    mine = [applied(procedures)["reference"] for _ in range(3)]
    listed = every_listed(procedures, token, "nozei-shomei", limit=2)
    references = [a["reference"] for a in listed]
    assert len(references) == len(set(references))  # no application twice
    assert all(references.count(r) == 1 for r in mine)
    assert [a["received_at"] for a in listed] == sorted(a["received_at"] for a in listed)
    for bad in ("limit=0", "limit=501", "limit=x", "cursor=" + "a" * 101, "cursor=%E3%81%82"):
        reply = procedures.request(
            "GET", f"/staff/applications?procedure=nozei-shomei&{bad}", headers=token
        )
        problem(reply, "validation", 422)


def test_what_the_applicant_wrote_expires_together(procedures, procedures_db, staff_token):
    """Answers can be personal (an old address, a number plate): they live with the
    applicant's data, expire with it, and are not shown once past expires_at."""
    accepted = applied(procedures, body("jidosha-jusho-henko"))
    reference = accepted["reference"].replace("-", "")
    client, table = procedures_db
    key = {"pk": {"S": f"APPLICATION#{reference}"}}
    item = client.get_item(TableName=table, Key={**key, "sk": {"S": "APPLICATION"}})["Item"]
    personal = client.get_item(TableName=table, Key={**key, "sk": {"S": "APPLICANT"}})["Item"]
    assert "answers" not in item and "old_address" in personal["answers"]["M"]
    token = auth(staff_token(department="zeimu"))

    def listed():
        found = every_listed(procedures, token, "jidosha-jusho-henko")
        return [a for a in found if a["reference"] == accepted["reference"]][0]

    assert listed()["answers"]["old_address"] and listed()["applicant"]["name"] == NAME
    # past expires_at, before DynamoDB has deleted the item: gone all the same
    past = int(datetime.now(UTC).timestamp()) - 60
    client.update_item(
        TableName=table,
        Key={**key, "sk": {"S": "APPLICANT"}},
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": {"N": str(past)}},
    )
    assert listed()["answers"] == {} and listed()["applicant"] == {}


def test_staff_need_a_token_of_the_procedures_department(procedures, staff_token):
    accepted = applied(procedures)
    listing = "/staff/applications?procedure=nozei-shomei"
    problem(procedures.request("GET", listing), "unauthorized", 401)
    problem(
        procedures.request("GET", listing, headers=auth(staff_token(department="keiyaku"))),
        "forbidden",
        403,
    )
    reply = procedures.request("GET", listing, headers=auth(staff_token(department="zeimu")))
    assert reply.status == 200, reply
    data = reply.json()
    assert data["procedure"]["department"] == "zeimu"
    listed = every_listed(procedures, auth(staff_token(department="zeimu")), "nozei-shomei")
    mine = [a for a in listed if a["reference"] == accepted["reference"]][0]
    assert mine["applicant"]["name"] == NAME and mine["version"] == 1
    assert mine["next_statuses"] == ["accepted", "rejected", "withdrawn"]
    assert all(a["procedure_id"] == "nozei-shomei" for a in data["applications"])
    admin = auth(staff_token(role="admin", department="koho"))
    assert procedures.request("GET", listing, headers=admin).status == 200
    zeimu = auth(staff_token(department="zeimu"))
    problem(procedures.request("GET", "/staff/applications", headers=zeimu), "validation", 422)
    problem(
        procedures.request("GET", "/staff/applications?procedure=nai", headers=zeimu),
        "not-found",
        404,
    )
    path = f"/staff/applications/{accepted['reference']}/status"
    change = {"status": "accepted", "version": 1}
    problem(procedures.request("PUT", path, change), "unauthorized", 401)
    other = auth(staff_token(department="keiyaku"))
    problem(procedures.request("PUT", path, change, other), "forbidden", 403)
    assert inquire(procedures, fields(accepted)).json()["status"] == "received"  # unchanged


def test_status_changes_are_version_checked_and_follow_the_transitions(procedures, staff_token):
    accepted = applied(procedures)
    token = auth(staff_token(department="zeimu"))
    path = f"/staff/applications/{accepted['reference']}/status"

    def put(status, version, **extra):
        return procedures.request(
            "PUT", path, {"status": status, "version": version, **extra}, token
        )

    reply = put("accepted", 1, note="書類を確認しました")
    assert reply.status == 200, reply
    assert (reply.json()["status"], reply.json()["version"]) == ("accepted", 2)
    assert "applicant" not in reply.json()
    problem(put("in_review", 1), "version-conflict", 409)  # stale: somebody changed it
    refused = problem(put("completed", 2), "invalid-transition", 409)
    assert "「受付」から「完了」には変更できません" in refused["detail"]
    assert "「審査中」「却下」「取下げ」にだけ変更できます" in refused["detail"]
    assert refused["allowed"] == ["in_review", "rejected", "withdrawn"]
    for status, version in (("in_review", 2), ("returned", 3), ("in_review", 4)):
        assert put(status, version).status == 200
    # 完了 is proposed by one member and approved by another (the two-person rule)
    problem(put("completed", 5), "approval-required", 409)
    base = f"/staff/applications/{accepted['reference']}"
    reply = procedures.request(
        "POST", base + "/proposal", {"status": "completed", "version": 5}, token
    )
    assert reply.status == 200 and reply.json()["status"] == "in_review", reply
    approver = auth(staff_token(role="approver", department="zeimu"))  # subject "tester" too
    same = procedures.request(
        "POST", base + "/approval", {"status": "completed", "version": 6}, approver
    )
    problem(same, "same-approver", 403)
    another = auth(staff_token(role="approver", department="zeimu", subject="kacho"))
    problem(
        procedures.request(
            "POST", base + "/approval", {"status": "completed", "version": 6}, token
        ),
        "forbidden",
        403,
    )  # staff may propose, not approve
    reply = procedures.request(
        "POST", base + "/approval", {"status": "completed", "version": 6}, another
    )
    assert reply.status == 200 and reply.json()["status"] == "completed", reply
    final = problem(put("in_review", 7), "invalid-transition", 409)
    assert final["allowed"] == [] and "変更できません" in final["detail"]
    data = inquire(procedures, fields(accepted)).json()
    assert (data["status"], data["status_label"]) == ("completed", "完了")
    assert [h["status"] for h in data["history"]] == [
        "received",
        "accepted",
        "in_review",
        "returned",
        "in_review",
        "completed",
    ]
    assert all(datetime.fromisoformat(h["at"]) for h in data["history"])
    assert "書類を確認しました" not in inquire(procedures, fields(accepted)).text()
    staff = procedures.request("GET", "/staff/applications?procedure=nozei-shomei", headers=token)
    mine = [a for a in staff.json()["applications"] if a["reference"] == accepted["reference"]][0]
    assert (
        mine["history"][1]["note"] == "書類を確認しました" and mine["history"][1]["by"] == "tester"
    )
    handset = procedures.request(
        "POST",
        "/m/inquiries",
        raw=_sjis_form(fields(accepted)),
        headers={"X-Forwarded-For": Api.client_ip(), **HANDSET},
    )
    assert "状況: <strong>完了</strong>" in _handset(handset)


def test_status_change_requests_are_validated(procedures, staff_token):
    token = auth(staff_token(department="zeimu"))
    unknown = f"/staff/applications/{ids.format_reference(ids.new_reference())}/status"
    problem(
        procedures.request("PUT", unknown, {"status": "accepted", "version": 1}, token),
        "not-found",
        404,
    )
    problem(
        procedures.request(
            "PUT",
            "/staff/applications/nonsense/status",
            {"status": "accepted", "version": 1},
            token,
        ),
        "not-found",
        404,
    )
    data = problem(
        procedures.request("PUT", unknown, {"status": "done", "version": "1"}, token),
        "validation",
        422,
    )
    assert {e["field"] for e in data["errors"]} == {"status", "version"}
    for status in (["accepted"], {"a": 1}, 3, None):  # never a 500
        data = problem(
            procedures.request("PUT", unknown, {"status": status, "version": 1}, token),
            "validation",
            422,
        )
        assert [e["field"] for e in data["errors"]] == ["status"]


def test_a_withdrawal_and_a_rejection(procedures, staff_token):
    token = auth(staff_token(department="keiyaku"))
    approver = auth(staff_token(role="approver", department="keiyaku", subject="kacho"))
    for status in ("withdrawn", "rejected"):
        accepted = applied(procedures, body("nyusatsu-taimen-yoyaku"))
        base = f"/staff/applications/{accepted['reference']}"
        change = {"status": status, "version": 1}
        if status == "rejected":  # 却下 needs the two-person rule
            assert procedures.request("POST", base + "/proposal", change, token).status == 200
            change = {"status": status, "version": 2}
            assert procedures.request("POST", base + "/approval", change, approver).status == 200
        else:
            assert procedures.request("PUT", base + "/status", change, token).status == 200
        data = inquire(procedures, fields(accepted)).json()
        assert data["status"] == status and data["status_label"] in ("取下げ", "却下")
