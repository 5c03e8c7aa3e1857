"""The 試験結果 table is derived from the run's data, criterion by criterion."""

from infra.a11y import criteria, report
from infra.a11y.gate import Audit, Finding

RULES = {"image-alt": ["wcag2a", "wcag111"], "color-contrast": ["wcag2aa", "wcag143"]}


def rows_by_number(audit, keyboard_ok=True):
    return {row["number"]: row for row in report.criteria_table(RULES, audit, keyboard_ok)}


def clean_audit(**changes):
    fields = dict(
        findings=[],
        reflow_failures=[],
        rules_passed={"image-alt", "color-contrast"},
        rules_incomplete=set(),
        pages=["/"],
    )
    fields.update(changes)
    return Audit(**fields)


def test_every_criterion_has_a_row():
    rows = report.criteria_table(RULES, clean_audit(), True)
    assert [row["number"] for row in rows] == [c[0] for c in criteria.CRITERIA]
    assert len(rows) == 56  # WCAG 2.2 A + AA, plus 4.1.1 of JIS X 8341-3:2016


def test_a_violation_fails_its_criterion_and_the_conformance():
    finding = Finding("/x/", 375, "color-contrast", "serious", "#a", "contrast")
    rows = rows_by_number(clean_audit(findings=[finding], rules_passed={"image-alt"}))
    assert rows["1.4.3"]["result"] == "不適合" and "color-contrast" in rows["1.4.3"]["note"]
    assert rows["1.1.1"]["result"] == "適合"
    assert report.conformance(list(rows.values())) == "一部準拠"


def test_untested_criteria_are_not_claimed():
    rows = rows_by_number(clean_audit())
    assert rows["1.3.3"]["result"] == "未確認"  # 感覚的な特徴: no automated check
    assert rows["2.2.1"]["result"] == "非適用"


def test_reflow_and_keyboard_results_come_from_their_checks():
    assert rows_by_number(clean_audit())["1.4.10"]["result"] == "適合"
    failed = rows_by_number(clean_audit(reflow_failures=[("/", 40)]))
    assert failed["1.4.10"]["result"] == "不適合"
    assert rows_by_number(clean_audit(), keyboard_ok=False)["2.4.7"]["result"] == "未確認"
