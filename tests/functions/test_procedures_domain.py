"""Applications without a store: the catalogue, the states, the numbers, the handset pages'
encoding, and the deployment package (catalogue inside, Shift_JIS through base64)."""

import base64
import json
import subprocess
import sys
import tomllib
from datetime import UTC, datetime

import pytest

from hiroba_core import catalogue, ids, problems, tokens
from hiroba_core.domain.application import (
    FINAL,
    LABELS,
    TRANSITIONS,
    Application,
    ApplicationStatus,
)
from hiroba_core.domain.procedure import check
from hiroba_core.errors import (
    InquiryNotMatched,
    InvalidTransition,
    RateLimited,
    StoreUnavailable,
    ValidationFailed,
)
from hiroba_core.services import applications
from hiroba_web import procedure_pages
from infra.aws.package import prepare
from infra.local.stack import ROOT

S = ApplicationStatus
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
REGISTRY = ROOT / "content" / "registry"


def test_the_catalogue_names_real_departments_and_handset_safe_titles():
    procedures = catalogue.load(catalogue.REPOSITORY)
    # the first three are the prefecture's, with the ids the API has always accepted
    assert list(procedures)[:3] == ["nozei-shomei", "jidosha-jusho-henko", "nyusatsu-taimen-yoyaku"]
    departments = tomllib.loads((REGISTRY / "departments.toml").read_text("utf-8"))
    dantai = tomllib.loads((REGISTRY / "dantai.toml").read_text("utf-8"))
    for procedure in procedures.values():
        if procedure.dantai == "040002":
            assert procedure.department in departments and procedure.department != "defaults"
        else:
            assert procedure.department in dantai[procedure.dantai]["departments"]
        assert procedure.retention_days > 0 and procedure.applicant
        procedure.title.encode("cp932")  # shown on Shift_JIS handset pages
    assert procedures["nozei-shomei"].fee == 400 and procedures["nozei-shomei"].fee_per == "copies"
    assert procedures["jidosha-jusho-henko"].fee == 0
    assert procedures["jidosha-jusho-henko"].title == "自動車税（種別割）の住所変更届"
    spec = json.loads((ROOT / "functions/procedures/chalicelib/openapi.json").read_text("utf-8"))
    request = spec["components"]["schemas"]["ApplicationRequest"]["properties"]["procedure"]
    assert request["enum"] == list(procedures)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[a]\ntitle = 'x'\n", "title_en is required"),
        ("[a]\ntitle='x'\ntitle_en='x'\ndepartment='zeimu'\nfee=-1\nretention_days=1\n", "fee"),
        (
            "[a]\ntitle='x'\ntitle_en='x'\ndepartment='zeimu'\nfee=0\nretention_days=0\n",
            "retention_days",
        ),
        (
            "[a]\ntitle='x'\ntitle_en='x'\ndepartment='zeimu'\nfee=0\nretention_days=1\n"
            "[a.applicant]\nshoe_size='required'\n",
            "unknown applicant field",
        ),
        (
            "[a]\ntitle='x'\ntitle_en='x'\ndepartment='zeimu'\nfee=0\nretention_days=1\n"
            "[a.applicant]\nname='maybe'\n",
            "required or optional",
        ),
        (
            "[a]\ntitle='x'\ntitle_en='x'\ndepartment='zeimu'\nfee=1\nretention_days=1\n"
            "fee_per='q'\n[a.applicant]\nname='required'\n"
            "[[a.questions]]\nid='q'\nlabel='x'\nlabel_en='x'\nkind='text'\n",
            "fee_per",
        ),
        (
            "[a]\ntitle='x'\ntitle_en='x'\ndepartment='zeimu'\nfee=0\nretention_days=1\n"
            "[a.applicant]\nname='required'\n[[a.questions]]\nid='q'\nlabel='x'\nlabel_en='x'\n"
            "kind='choice'\n",
            "choices",
        ),
        ("[a\n", "procedures.toml"),
    ],
)
def test_a_malformed_catalogue_is_refused_with_the_entry_named(text, message):
    with pytest.raises(catalogue.CatalogueError, match=message):
        catalogue.parse(text)


def test_states_and_transitions():
    assert set(LABELS) == set(S)
    assert {S.COMPLETED, S.REJECTED, S.WITHDRAWN} == FINAL
    assert {
        (S.RECEIVED, S.ACCEPTED),
        (S.ACCEPTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.COMPLETED),
        (S.IN_REVIEW, S.RETURNED),
        (S.RETURNED, S.IN_REVIEW),
        (S.RECEIVED, S.REJECTED),
        (S.ACCEPTED, S.REJECTED),
        (S.IN_REVIEW, S.REJECTED),
        (S.RETURNED, S.REJECTED),
        (S.RECEIVED, S.WITHDRAWN),
        (S.ACCEPTED, S.WITHDRAWN),
        (S.RETURNED, S.WITHDRAWN),
    } == TRANSITIONS
    application = Application("A" * 12, "p", "zeimu", NOW.isoformat(), {}, 0, "h")
    assert [c.status for c in application.history] == [S.RECEIVED]
    application.transition("accepted", "2026-11-28T00:00:00+00:00", by="staff-1", note="確認")
    assert (application.status, application.version, application.updated_at) == (
        S.ACCEPTED,
        2,
        "2026-11-28T00:00:00+00:00",
    )
    with pytest.raises(InvalidTransition) as refused:
        application.transition("completed", "2026-11-29T00:00:00+00:00")
    assert refused.value.allowed == ("in_review", "rejected", "withdrawn")
    assert application.version == 2 and len(application.history) == 2
    body = problems.from_error(refused.value).body()
    assert body["status"] == 409 and "「受付」から「完了」" in body["detail"]


def test_reference_numbers_and_inquiry_codes():
    references = {ids.new_reference() for _ in range(300)}
    assert len(references) == 300
    assert all(len(r) == 12 and set(r) <= set(ids.ALPHABET) for r in references)
    reference = references.pop()
    typed = ids.format_reference(reference).lower().replace("-", " ")
    assert ids.parse_reference(typed) == reference
    assert ids.parse_reference("ＡＣＥＦ－ＧＨＪＫ－ＭＮＰＲ") == "ACEFGHJKMNPR"
    assert ids.parse_reference("ACEF-GHJK-MNP0") is None and ids.parse_reference(None) is None
    code = ids.new_inquiry_code()
    assert ids.parse_inquiry_code(ids.format_inquiry_code(code)) == code
    assert ids.parse_receipt("acef ghjk") == "ACEFGHJK" and ids.parse_receipt("0000-0000") is None
    assert tokens.inquiry_hash("s", reference, code) != tokens.inquiry_hash("t", reference, code)
    assert code not in tokens.inquiry_hash("s", reference, code)
    derived = tokens.derived_code("s", "inquiry-code", "x", ids.ALPHABET, 10)
    assert derived == tokens.derived_code("s", "inquiry-code", "x", ids.ALPHABET, 10)
    assert derived != tokens.derived_code("s", "inquiry-code", "y", ids.ALPHABET, 10)
    assert len(derived) == 10 and set(derived) <= set(ids.ALPHABET)


def test_an_application_is_checked_against_its_procedure():
    procedure = catalogue.load(catalogue.REPOSITORY)["jidosha-jusho-henko"]
    with pytest.raises(ValidationFailed) as failed:
        check(procedure, {"applicant": {"email": "x"}, "answers": {"moved_on": "2026-11-28"}}, NOW)
    fields = [e.field for e in failed.value.errors]
    assert "answers.moved_on" in fields and "applicant.email" in fields
    # 2026-11-27 12:00 in Japan: the 27th is "today" for a move, whatever the UTC date
    intake = check(
        procedure,
        {
            "applicant": {
                "name": "宮城 太郎",
                "kana": "みやぎ たろう",
                "postal_code": "980 8570",
                "address": "仙台市",
                "phone": "(022)211-2111",
            },
            "answers": {
                "registration_number": "宮城 300 あ 1234",
                "old_address": "石巻市",
                "moved_on": "2026-11-27",
            },
        },
        NOW,
    )
    assert intake.applicant["postal_code"] == "980-8570"
    assert set(intake.canonical()) == {"procedure", "applicant", "answers"}


def _view(history=1, title="入札参加資格審査（新規申請者）の対面審査の予約"):
    at = NOW.isoformat()
    ja, en = LABELS[S.IN_REVIEW]
    step = {"status": "in_review", "status_label": ja, "status_label_en": en, "at": at}
    return {
        "reference": "ACEF-GHJK-MNPR",
        "procedure": {"id": "p", "title": title, "title_en": "t"},
        "status": "in_review",
        "status_label": ja,
        "status_label_en": en,
        "received_at": at,
        "updated_at": at,
        "history": [step] * history,
        "fee": 4000,
        "payment": "unpaid",
        "payment_label": applications.PAYMENT_LABELS["unpaid"][0],
        "payment_label_en": "Not paid",
    }


def test_every_handset_page_is_shift_jis_and_small():
    longest = max(catalogue.load(catalogue.REPOSITORY).values(), key=lambda p: len(p.title))
    page = procedure_pages.mobile_status_page(_view(history=500, title=longest.title))
    assert len(page.body) <= 10 * 1024
    assert page.body.decode("cp932").count("審査中") == procedure_pages.MAX_MOBILE_HISTORY + 1
    for status in S:  # every label the pages may show
        for label in LABELS[status]:
            label.encode("cp932")
    for ja, _ in applications.PAYMENT_LABELS.values():
        ja.encode("cp932")
    failures = []
    try:
        applications.read_inquiry({"reference": "x", "inquiry_code": ""})
    except ValidationFailed as error:
        failures.append(error)
    try:
        applications.read_inquiry({})
    except ValidationFailed as error:
        failures.append(error)
    failures += [InquiryNotMatched(), RateLimited(600), StoreUnavailable()]
    reachable = [problems.from_error(e) for e in failures] + [problems.too_large(65536)]
    for problem in reachable:
        page = procedure_pages.mobile_error(problem)  # raises on any non-cp932 character
        assert page.status_code == problem.status and len(page.body) <= 10 * 1024
        assert page.headers["Content-Type"] == "text/html; charset=Shift_JIS"


EVENT = {
    "resource": "/m/inquiries",
    "path": "/m/inquiries",
    "httpMethod": "POST",
    "multiValueHeaders": {},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/m/inquiries",
        "httpMethod": "POST",
        "stage": "api",
        "identity": {"sourceIp": "192.0.2.1"},
    },
    "body": "reference=&inquiry_code=",
    "isBase64Encoded": False,
}


def test_the_package_carries_the_catalogue_and_answers_api_gateway_in_base64(tmp_path):
    """What API Gateway gets from the Lambda: the handset page base64-encoded (so its
    Shift_JIS bytes survive), the UTF-8 HTML page too, JSON as text. Validation errors need
    no database, so the built app answers them in a plain Python process."""
    build = prepare("procedures", tmp_path)
    packaged = build / "vendor" / "hiroba_core" / "data" / "procedures.toml"
    assert packaged.read_bytes() == (REGISTRY / "procedures.toml").read_bytes()
    handset = {
        "Accept": "application/xhtml+xml",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    browser = {**handset, "Accept": "text/html"}
    events = [
        {**EVENT, "headers": handset},
        {**EVENT, "headers": browser, "path": "/inquiries", "resource": "/inquiries"},
        {**EVENT, "headers": {"Content-Type": "application/json"}, "body": "{}"}
        | {"path": "/inquiries", "resource": "/inquiries"},
    ]
    for event in events[1:]:
        event["requestContext"] = {**EVENT["requestContext"], "resourcePath": event["resource"]}
    probe = (
        "import json, sys; import app; from hiroba_core import catalogue;"
        "assert catalogue.default_path() == catalogue.PACKAGED, catalogue.default_path();"
        "print(json.dumps([app.app(e, None) for e in json.load(sys.stdin)]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=build,
        input=json.dumps(events),
        env={"PYTHONPATH": str(build / "vendor"), "AWS_DEFAULT_REGION": "ap-northeast-1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    mobile, html, data = json.loads(result.stdout.strip().splitlines()[-1])
    assert mobile["statusCode"] == 422 and mobile["isBase64Encoded"] is True
    assert mobile["headers"]["Content-Type"] == "text/html; charset=Shift_JIS"
    page = base64.b64decode(mobile["body"]).decode("cp932")
    assert page.startswith('<?xml version="1.0" encoding="Shift_JIS"?>')
    assert "到達番号を入力してください" in page
    assert html["isBase64Encoded"] is True
    assert "到達番号を入力してください" in base64.b64decode(html["body"]).decode("utf-8")
    assert not data.get("isBase64Encoded") and json.loads(data["body"])["status"] == 422
