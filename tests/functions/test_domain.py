"""Unit tests of hiroba_core without any store, and the layout rules of functions/."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hiroba_core import ids, problems, tokens
from hiroba_core.domain import Comment, CommentStatus, Consultation, Question
from hiroba_core.domain.comment import TRANSITIONS
from hiroba_core.errors import InvalidTransition, NotOpen, ValidationFailed
from hiroba_core.settings import Settings
from hiroba_core.validation import normalize, validate_submission
from infra.local.stack import ROOT

FUNCTIONS = ROOT / "functions"
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def consultation(**kw):
    base = dict(
        id="c",
        title="案",
        department="koho",
        url="/consultations/c/",
        questions=(Question("q1", "ご意見"),),
        personal_fields={"email": "optional"},
        opens_at=NOW - timedelta(days=1),
        closes_at=NOW + timedelta(days=1),
    )
    return Consultation(**(base | kw))


def imports(path):
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_the_domain_library_never_imports_chalice():
    for path in (FUNCTIONS / "hiroba_core").rglob("*.py"):
        assert not any(m.split(".")[0] == "chalice" for m in imports(path)), path


def test_routes_never_touch_boto3_and_apps_share_no_copies():
    for path in FUNCTIONS.glob("*/chalicelib/**/*.py"):
        assert not any(m.split(".")[0] in ("boto3", "botocore") for m in imports(path)), path
    for app in ("publishing", "procedures"):
        assert not (FUNCTIONS / app / "vendor").exists(), "vendor/ is made at package time"


def test_tables_are_defined_and_reached_in_one_place():
    for path in FUNCTIONS.rglob("*.py"):
        text = path.read_text("utf-8")
        if "store" not in path.parts:
            assert "TableName" not in text and "KeySchema" not in text, path
        if path.name != "tables.py":
            assert "KeySchema" not in text and "AttributeDefinitions" not in text, path


def test_states_and_transitions():
    comment = Comment("1", "c", "ACEFGHJK", {"q1": "x"}, NOW.isoformat())
    comment.hide()
    assert comment.status == CommentStatus.HIDDEN and comment.version == 2
    with pytest.raises(InvalidTransition):
        comment.answer("回答")
    comment.restore()
    comment.answer("回答")
    assert comment.status == CommentStatus.ANSWERED and comment.response == "回答"
    assert (CommentStatus.HIDDEN, CommentStatus.ANSWERED) not in TRANSITIONS


def test_consultation_window():
    c = consultation()
    assert c.state(NOW) == "open"
    assert c.state(NOW - timedelta(days=2)) == "upcoming"
    assert c.state(NOW + timedelta(days=1)) == "closed"  # closes_at itself is closed
    with pytest.raises(NotOpen):
        c.ensure_open(NOW + timedelta(days=3))
    assert consultation(kind="proposal", opens_at=None, closes_at=None).state(NOW) == "open"
    assert Consultation.from_dict(c.as_dict()) == c


def test_receipt_numbers_have_no_look_alikes():
    for char in "0O1IL2Z5S8BQD":
        assert char not in ids.ALPHABET
    numbers = {ids.new_receipt_number() for _ in range(500)}
    assert len(numbers) == 500 and all(len(n) == 8 for n in numbers)
    number = numbers.pop()
    assert ids.parse_receipt(ids.format_receipt(number).lower()) == number
    assert ids.parse_receipt("0000-0000") is None


def test_normalisation():
    assert normalize("ＡＢＣ\u3000ｶﾅ\u200b ") == "ABC カナ"
    assert normalize("a\r\nb", multiline=True) == "a\nb"
    submission = validate_submission(consultation(), {"answers": {"q1": " ご意見 "}, "email": ""})
    assert submission.answers == {"q1": "ご意見"} and submission.personal == {}
    with pytest.raises(ValidationFailed):
        validate_submission(consultation(), {"answers": {"q1": "x"}, "email": "no"})


def test_problem_types_are_stable_and_bilingual():
    for slug, (status, title, title_en) in problems.CATALOGUE.items():
        assert 400 <= status < 600 and title and title_en
        assert problems.Problem(slug, "詳細", "detail").body()["type"] == problems.TYPE_BASE + slug
    body = problems.from_error(NotOpen(consultation(), "closed")).body()
    assert "2026年11月28日" in body["detail"] and body["status"] == 409


def test_tokens():
    settings = Settings(jwt_secret="k" * 32)
    staff = tokens.verify("Bearer " + tokens.mint("k" * 32, "s", "staff", "koho"), settings)
    assert staff.may_act_for("koho") and not staff.may_act_for("doboku")
    assert tokens.ticket_age("s", tokens.form_ticket("s", 100), 130) == 30
    assert tokens.client_hash("s", "192.0.2.1") != tokens.client_hash("t", "192.0.2.1")
    assert tokens.body_hash({"a": 1, "b": 2}) == tokens.body_hash({"b": 2, "a": 1})


def test_functions_are_documented():
    assert (Path(ROOT) / "docs" / "functions.md").exists()
