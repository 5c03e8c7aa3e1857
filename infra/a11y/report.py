"""`make a11y-report`: test the whole site and record the results for the 試験結果 page.

Builds the site, runs the accessibility gate (axe at every width on every page, reflow at
320 px, the keyboard walk) and writes content/registry/a11y-results.json. The next build
renders ウェブアクセシビリティ方針 and 試験結果 from that file, so the published claims
are the data of an actual run, never hand-written.
"""

import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from hiroba_core.dates import JST
from infra.a11y import criteria, gate

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "content" / "registry" / "a11y-results.json"


def criteria_table(rules, audit, keyboard_ok):
    """One row per success criterion: applicable, result and a note, from the run's data."""
    failed = {}
    for finding in audit.findings:
        for tag in rules.get(finding.rule, []):
            failed.setdefault(tag, set()).add(finding.rule)
    tested = {}
    for rule in audit.rules_passed:
        for tag in rules.get(rule, []):
            tested.setdefault(tag, set()).add(rule)
    other = {
        name: checks
        for name, checks in criteria.OTHER_CHECKS.items()
        if not (name == "keyboard" and not keyboard_ok)
        and not (name == "reflow" and audit.reflow_failures)
    }
    rows = []
    for number, level, name, in_jis in criteria.CRITERIA:
        tag = "wcag" + number.replace(".", "")
        row = {"number": number, "level": level, "name": name, "jis2016": in_jis}
        if number in criteria.NOT_APPLICABLE:
            row.update(applicable=False, result="非適用", note=criteria.NOT_APPLICABLE[number])
        elif tag in failed or (number == "1.4.10" and audit.reflow_failures):
            rules_failed = sorted(failed.get(tag, ())) or ["reflow"]
            row.update(applicable=True, result="不適合", note="違反: " + ", ".join(rules_failed))
        else:
            how = [f"axe-core: {', '.join(sorted(tested[tag]))}"] if tag in tested else []
            how += [label for label, numbers in other.values() if number in numbers]
            if how:
                row.update(applicable=True, result="適合", note="自動試験: " + " / ".join(how))
            else:
                row.update(
                    applicable=True,
                    result="未確認",
                    note="自動試験の対象外で、人による確認は未実施です",
                )
        rows.append(row)
    return rows


def conformance(rows):
    applicable = [row for row in rows if row["applicable"]]
    if all(row["result"] == "適合" for row in applicable):
        return "準拠"
    return "一部準拠"


def build_site(output):
    env = {**os.environ, "HIROBA_OUTPUT": str(output), "HIROBA_SEARCH_INDEX": "0"}
    subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(ROOT / "pelicanconf.py"), "-q"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def main():
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "output"
        build_site(site)
        pages = gate.html_pages(site)
        driver = gate.start_browser()
        try:
            with gate.serve(site) as base:
                audit = gate.audit(driver, base, pages)
                keyboard = [
                    p
                    for page in gate.KEYBOARD_PAGES
                    for p in gate.keyboard_problems(driver, base, page)
                ]
                rules = gate.rule_tags(driver)
                tool_versions = gate.versions(driver)
        finally:
            driver.quit()
    rows = criteria_table(rules, audit, keyboard_ok=not keyboard)
    results = {
        "tested_on": datetime.now(JST).date().isoformat(),
        "standard": "JIS X 8341-3:2016（WCAG 2.2 のレベルA・AAの達成基準も試験）",
        "target_level": "AA",
        "conformance": conformance(rows),
        "tools": {**tool_versions, "widths": list(gate.WIDTHS), "reflow_width": gate.REFLOW_WIDTH},
        "axe_tags": gate.AXE_TAGS,
        "pages": pages,
        "violations": [str(finding) for finding in sorted(audit.findings)],
        "reflow_failures": audit.reflow_failures,
        "keyboard_pages": gate.KEYBOARD_PAGES,
        "keyboard_problems": keyboard,
        "criteria": rows,
    }
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    counts = {
        result: sum(r["result"] == result for r in rows)
        for result in ("適合", "不適合", "未確認", "非適用")
    }
    print(f"{len(pages)} pages, {len(audit.findings)} violations, {counts}; wrote {RESULTS}")
    for message in audit.csp_violations:
        print(f"blocked by the Content-Security-Policy: {message}", file=sys.stderr)
    return 1 if audit.findings or audit.reflow_failures or audit.csp_violations or keyboard else 0


if __name__ == "__main__":
    sys.exit(main())
