"""The online form's pure parts: 和暦 dates, the pages a procedure's form has, a draft's
deadlines and what it sends to procedure.check (an agent's details beside the applicant's)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from hiroba_core import catalogue
from hiroba_core.domain import draft as drafts
from hiroba_core.domain.procedure import check
from hiroba_core.errors import ValidationFailed
from hiroba_core.wareki import format_wareki, parse_date

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
CATALOGUE = catalogue.load()


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和8年4月1日", date(2026, 4, 1)),
        ("R8.4.1", date(2026, 4, 1)),
        ("r8/4/1", date(2026, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H1.1.8", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("2026-04-01", date(2026, 4, 1)),
        ("2026/4/1", date(2026, 4, 1)),
        ("２０２６年４月１日", date(2026, 4, 1)),
    ],
)
def test_a_date_is_read_in_either_calendar(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    [
        "平成32年1月1日",
        "令和元年4月30日",
        "昭和65年1月1日",
        "2026-02-30",
        "4月1日",
        "R8",
        "",
        "abc",
    ],
)
def test_a_date_an_era_never_had_is_refused(text):
    assert parse_date(text) is None


def test_the_first_year_of_an_era_is_gannen():
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(date(2026, 11, 27)) == "令和8年11月27日"


def test_one_thing_per_page_and_the_agents_page_only_for_agents():
    sodai = CATALOGUE["sendai-sodai-gomi"]
    alone = [s.slug for s in drafts.steps(sodai, "本人")]
    assert alone == ["who", "name", "contact", "q-items", "q-preferred_date"]
    agent = drafts.steps(sodai, "代理人")
    assert [s.slug for s in agent][:2] == ["who", "agent"]
    assert next(s for s in agent if s.slug == "name").title == "ご本人の氏名"
    fields = [f for s in agent for f in s.fields]
    assert "applicant.email" not in fields and "agent.email" not in fields  # verified
    only_self = CATALOGUE["ishinomaki-inu-henko"]
    assert drafts.steps(only_self, "本人")[0].slug == "name"  # no choice to make


def _draft(procedure, **values):
    return drafts.Draft(
        id="x",
        procedure_id=procedure.id,
        dantai=procedure.dantai,
        email="hanako@example.jp",
        code_hash="",
        deadline=NOW + drafts.NAVIGATION,
        values=values,
    )


def test_thirty_minutes_between_pages_and_ninety_on_a_form_page():
    d = _draft(CATALOGUE["sendai-sodai-gomi"])
    d.touch(NOW)
    assert not d.expired(NOW + timedelta(minutes=29, seconds=59))
    assert d.expired(NOW + timedelta(minutes=30))
    d.touch(NOW, on_form=True)
    assert not d.expired(NOW + timedelta(minutes=89))
    assert d.expired(NOW + timedelta(minutes=90))


def test_the_verified_address_is_the_agents_when_an_agent_applies():
    sodai = CATALOGUE["sendai-sodai-gomi"]
    values = {
        "applicant.name": "宮城 花子",
        "applicant.kana": "みやぎ はなこ",
        "applicant.postal_code": "980-8570",
        "applicant.address": "仙台市青葉区本町3-8-1",
        "applicant.phone": "022-211-2111",
        "answers.items": "タンス 1点",
        "answers.preferred_date": "R9.1.10",
    }
    alone = check(sodai, _draft(sodai, **values).raw(), NOW)
    assert alone.applicant["email"] == "hanako@example.jp"
    assert alone.answers["preferred_date"] == "2027-01-10"  # stored in 西暦
    agent_values = {**values, "applicant_kind": "代理人"}
    with pytest.raises(ValidationFailed) as failed:
        check(sodai, _draft(sodai, **agent_values).raw(), NOW)
    assert {e.field for e in failed.value.errors} == {
        "agent.name",
        "agent.kana",
        "agent.relationship",
        "agent.address",
        "agent.phone",
    }
    agent_values.update(
        {
            "agent.name": "宮城 次郎",
            "agent.kana": "ミヤギ ジロウ",
            "agent.relationship": "子",
            "agent.address": "仙台市青葉区一番町1-1-1",
            "agent.phone": "022-111-2222",
        }
    )
    by_agent = check(sodai, _draft(sodai, **agent_values).raw(), NOW)
    assert "email" not in {k for k in by_agent.applicant if k != "agent"}
    assert by_agent.applicant["kind"] == "代理人"
    assert by_agent.applicant["agent"]["email"] == "hanako@example.jp"


def test_only_a_procedure_that_takes_agents_takes_an_agent():
    only_self = CATALOGUE["ishinomaki-inu-henko"]
    with pytest.raises(ValidationFailed) as failed:
        check(only_self, {"applicant_kind": "代理人"}, NOW)
    assert "applicant_kind" in {e.field for e in failed.value.errors}


def test_form_names_match_what_the_form_posts():
    assert drafts.form_name("applicant.postal_code") == "applicant-postal_code"
    assert drafts.form_name("answers.items") == "answer-items"
    assert drafts.form_name("agent.kana") == "agent-kana"
    assert drafts.form_name("applicant_kind") == "applicant-kind"
