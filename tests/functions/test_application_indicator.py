"""The plan's indicators of the joint e-application service, live from the procedures table
(the loopback DynamoDB server) and the departments' paper counts: per 団体 and procedure and
fiscal year, nothing of one 団体 counted under another; written as open data by the operator
command and shown by the site's /procedures/indicators/ page."""

import csv
import io
import json
import shutil
import uuid
from dataclasses import replace
from datetime import datetime

import pytest

from hiroba_core import catalogue
from hiroba_core.domain.procedure import JST
from hiroba_core.services import application_indicator, applications
from hiroba_core.store import dynamo, tables
from hiroba_core.store.procedures import ProceduresStore
from infra.local.stack import ROOT
from tests.conftest import run_build

from .test_dantai_applications import SENDAI
from .test_procedures_api import BODIES
from .test_staff import run_tool

PAPER = "[nozei-shomei]\n2026 = 8\n"
# (procedure body, received at, in JST): 仙台市 three times in 令和8年度 and once on the last
# day of 令和7年度; the prefecture twice in 令和8年度
APPLIED = [
    (SENDAI, "2026-04-01 09:00"),
    (SENDAI, "2026-11-20 10:00"),
    (SENDAI, "2027-03-31 23:59"),
    (SENDAI, "2026-03-31 23:59"),
    (BODIES["nozei-shomei"], "2026-06-01 09:00"),
    (BODIES["nozei-shomei"], "2026-12-01 09:00"),
]


@pytest.fixture(scope="module")
def own_tables(stack):
    """Tables of this module alone on the shared server: other tests' applications don't
    count here."""
    suffix = uuid.uuid4().hex[:8]
    env = {
        "HIROBA_PROCEDURES_TABLE": f"indicator-procedures-{suffix}",
        "HIROBA_PUBLISHING_TABLE": f"indicator-publishing-{suffix}",
    }
    settings = replace(
        stack.settings(),
        procedures_table=env["HIROBA_PROCEDURES_TABLE"],
        publishing_table=env["HIROBA_PUBLISHING_TABLE"],
    )
    tables.ensure_tables(dynamo.client(settings), settings)
    store = ProceduresStore(settings)
    procedures = catalogue.load()
    for n, (body, moment) in enumerate(APPLIED):
        now = datetime.strptime(moment, "%Y-%m-%d %H:%M").replace(tzinfo=JST)
        applications.submit(store, procedures, body, client=f"203.0.113.{n}", now=now)
    return store, env


def test_the_fiscal_year_runs_from_april_to_march_in_japans_time():
    assert application_indicator.fiscal_year("2027-03-31T14:59:00+00:00") == 2026
    assert application_indicator.fiscal_year("2027-03-31T15:00:00+00:00") == 2027
    assert application_indicator.fiscal_year("2026-04-01T00:00:00+09:00") == 2026


def test_counts_per_dantai_and_procedure_and_year_never_cross(own_tables):
    store, _ = own_tables
    procedures, dantai = catalogue.load(), catalogue.load_dantai()
    paper = {"nozei-shomei": {2026: 8}}
    now = datetime(2026, 12, 3, 12, tzinfo=JST)
    data = application_indicator.indicator(store, procedures, dantai, paper, now)
    rows = {(r["fiscal_year"], r["dantai"], r["procedure"]): r for r in data["procedures"]}
    assert set(rows) == {
        (2025, "041009", "sendai-jumin-yuso"),
        (2026, "041009", "sendai-jumin-yuso"),
        (2026, "040002", "nozei-shomei"),
    }
    assert rows[(2026, "041009", "sendai-jumin-yuso")]["online"] == 3
    assert rows[(2025, "041009", "sendai-jumin-yuso")]["online"] == 1
    prefecture = rows[(2026, "040002", "nozei-shomei")]
    assert (prefecture["online"], prefecture["paper"], prefecture["rate"]) == (2, 8, 20.0)
    # every row is the 団体 of its procedure, and each 団体's total is its own applications
    assert all(procedures[r["procedure"]].dantai == r["dantai"] for r in data["procedures"])
    totals = {(t["fiscal_year"], t["dantai"]): t for t in data["dantai"]}
    assert set(totals) == {(2025, "041009"), (2026, "041009"), (2026, "040002")}
    assert totals[(2026, "041009")]["online"] == 3 and totals[(2026, "041009")]["rate"] is None
    assert totals[(2026, "040002")]["online"] == 2 and totals[(2026, "040002")]["rate"] == 20.0
    # the prefecture first, then the municipalities by reading
    assert [t["dantai"] for t in data["dantai"] if t["fiscal_year"] == 2026] == [
        "040002",
        "041009",
    ]
    # the plan's indicators: the municipalities' count (not the prefecture's) and the
    # prefecture's online rate, each against its baseline and target
    joint = data["joint_service"]
    assert (joint["baseline"], joint["target"]) == (10364, 15000)
    assert {y["fiscal_year"]: y["applications"] for y in joint["by_year"]} == {2025: 1, 2026: 3}
    rate = data["online_rate"]
    assert (rate["baseline"], rate["target"]) == (22.6, 30.0)
    assert [(y["fiscal_year"], y["rate"]) for y in rate["by_year"]] == [(2026, 20.0)]


def test_the_csv_neutralises_every_cell():
    row = {
        "fiscal_year": 2026,
        "dantai": "041009",
        "dantai_name": "仙台市",
        "procedure": "x",
        "title": '=HYPERLINK("http://evil.example")',
        "online": 1,
        "paper": None,
        "rate": None,
    }
    text = application_indicator.rows_csv({"procedures": [row]})
    assert text.startswith("\ufeff年度,団体コード")
    cells = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1]
    assert cells[4] == '\'=HYPERLINK("http://evil.example")'


def test_the_operator_command_writes_open_data_and_the_build_shows_the_table(
    own_tables, stack, tmp_path
):
    _, env = own_tables
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content" / "registry", content / "registry")
    (content / "registry" / "paper_counts.toml").write_text(PAPER, "utf-8")
    run_tool(stack, "--content", str(content), "indicator", env={"HIROBA_NOW": "", **env})
    folder = content / "documents" / "open-data"
    data = json.loads((folder / "e-application-usage.json").read_text("utf-8"))
    assert {(r["dantai"], r["online"]) for r in data["procedures"]} == {
        ("041009", 1),
        ("041009", 3),
        ("040002", 2),
    }
    raw = (folder / "e-application-usage.csv").read_bytes()
    lines = raw.decode("utf-8-sig").splitlines()
    assert raw.startswith(b"\xef\xbb\xbf") and lines[0].startswith("年度,団体コード,団体名")
    assert "2026,040002,宮城県,nozei-shomei,県税の納税証明書の交付申請,2,8,20.0" in lines

    result = run_build(content, tmp_path / "output")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "output" / "procedures" / "indicators" / "index.html").read_text("utf-8")
    assert "年度ごとの実績" in page and "20.0%" in page
    assert 'href="/procedures/sendai-jumin-yuso/"' in page
    assert 'href="/documents/open-data/e-application-usage.csv"' in page
    assert (tmp_path / "output" / "documents" / "open-data" / "e-application-usage.csv").is_file()
    english = tmp_path / "output" / "en" / "procedures" / "indicators" / "index.html"
    assert "Results by fiscal year" in english.read_text("utf-8")
