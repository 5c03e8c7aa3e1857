"""The plan's indicators of the joint e-application service, from the applications table and
the departments' paper counts.

第2期みやぎ電子自治体推進計画, 目標指標:
- みやぎ電子申請サービスにおける申請・届出等の年間利用件数（参加市町分）: 10,364 件
  (平成22年度見込) → 15,000 件 (平成25年度): the applications to the procedures of the
  municipalities taking part in the joint service, per fiscal year.
- 電子申請利用率: 22.6 % (平成21年度) → 30 % (平成25年度): 電子申請が可能な手続について、
  書面によるものを含む申請等の全体件数に占める電子申請件数の割合, for the prefecture's
  procedures, over those whose paper count the department recorded for the year.

Every count belongs to one 団体 and one procedure: an application is counted under the 団体
written on its record (the intake writes its procedure's), so the figures of one 団体 never
include another's. Only the 団体 code and the date of each application are read.
"""

import csv
import io
from datetime import datetime

from ..domain.procedure import JST
from .staff import csv_cell

JOINT_SERVICE = {
    "name": "みやぎ電子申請サービスにおける申請・届出等の年間利用件数（参加市町分）",
    "name_en": "Applications a year through the joint e-application service (participating municipalities)",
    "baseline": 10364,
    "baseline_year": "平成22年度（見込）",
    "target": 15000,
    "target_year": "平成25年度",
}
ONLINE_RATE = {
    "name": "電子申請利用率",
    "name_en": "Share of applications made online",
    "baseline": 22.6,
    "baseline_year": "平成21年度",
    "target": 30.0,
    "target_year": "平成25年度",
}
CSV_COLUMNS = (
    ("fiscal_year", "年度"),
    ("dantai", "団体コード"),
    ("dantai_name", "団体名"),
    ("procedure", "手続ID"),
    ("title", "手続名"),
    ("online", "電子申請件数"),
    ("paper", "書面の件数"),
    ("rate", "電子申請利用率（%）"),
)


def fiscal_year(moment):
    """The 年度 (April to March, in Japan's time) of an ISO 8601 instant: 2027-03-31 → 2026."""
    day = datetime.fromisoformat(moment).astimezone(JST).date()
    return day.year if day.month >= 4 else day.year - 1


def _rate(online, paper):
    total = online + paper
    return round(100 * online / total, 1) if total else None


def _row(year, dantai, procedure, online, paper):
    return {
        "fiscal_year": year,
        "dantai": dantai.code,
        "dantai_name": dantai.name,
        "procedure": procedure.id,
        "title": procedure.title,
        "online": online,
        "paper": paper,
        "rate": _rate(online, paper) if paper is not None else None,
    }


def _totals(rows, year, dantai):
    """Online, recorded paper and the rate over the procedures whose paper count exists."""
    mine = [r for r in rows if r["fiscal_year"] == year and r["dantai"] == dantai.code]
    counted = [r for r in mine if r["paper"] is not None]
    online = sum(r["online"] for r in counted)
    paper = sum(r["paper"] for r in counted)
    return {
        "fiscal_year": year,
        "dantai": dantai.code,
        "dantai_name": dantai.name,
        "online": sum(r["online"] for r in mine),
        "paper": paper if counted else None,
        "procedures_counted": len(counted),
        "rate": _rate(online, paper) if counted else None,
    }


def indicator(store, procedures, dantai, paper, now):
    """The indicators as one JSON-ready dict. `procedures` {id: Procedure} and `dantai`
    {code: Dantai} are the catalogue; `paper` {procedure id: {fiscal year: count}}."""
    online = {}  # (fiscal year, 団体 code, procedure id) -> applications received online
    for procedure in procedures.values():
        for code, received_at in store.received(procedure.id):
            key = (fiscal_year(received_at), code or procedure.dantai, procedure.id)
            online[key] = online.get(key, 0) + 1
    years = sorted({y for y, _, _ in online} | {y for counts in paper.values() for y in counts})
    rows = []
    for year in years:
        for procedure in procedures.values():
            for code in sorted({c for y, c, p in online if (y, p) == (year, procedure.id)}):
                if code not in dantai:
                    continue  # a record of no registered 団体 is counted under none
                count = online[(year, code, procedure.id)]
                rows.append(_row(year, dantai[code], procedure, count, None))
            recorded = paper.get(procedure.id, {}).get(year)
            if recorded is None:
                continue
            own = next(
                (
                    r
                    for r in rows
                    if (r["fiscal_year"], r["dantai"], r["procedure"])
                    == (year, procedure.dantai, procedure.id)
                ),
                None,
            )
            if own is None:
                own = _row(year, dantai[procedure.dantai], procedure, 0, None)
                rows.append(own)
            own["paper"] = recorded
            own["rate"] = _rate(own["online"], recorded)
    rows.sort(key=lambda r: (r["fiscal_year"], _order(dantai, r["dantai"]), r["procedure"]))
    codes = sorted(dantai, key=lambda code: _order(dantai, code))
    totals = [
        _totals(rows, year, dantai[code])
        for year in years
        for code in codes
        if any(r["fiscal_year"] == year and r["dantai"] == code for r in rows)
    ]
    joint = [
        code for code in codes if dantai[code].joint_service and not dantai[code].is_prefecture
    ]
    prefecture = [code for code in codes if dantai[code].is_prefecture]
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "fiscal_years": years,
        "joint_service": {
            **JOINT_SERVICE,
            "municipalities": len(joint),
            "by_year": [
                {
                    "fiscal_year": year,
                    "applications": sum(
                        r["online"]
                        for r in rows
                        if r["fiscal_year"] == year and r["dantai"] in joint
                    ),
                }
                for year in years
            ],
        },
        "online_rate": {
            **ONLINE_RATE,
            "by_year": [
                {k: v for k, v in t.items() if k not in ("dantai", "dantai_name")}
                for t in totals
                if t["dantai"] in prefecture
            ],
        },
        "dantai": totals,
        "procedures": rows,
    }


def _order(dantai, code):
    """The prefecture first, then the municipalities by reading (五十音)."""
    entry = dantai.get(code)
    return (0, "") if entry is None or entry.is_prefecture else (1, entry.kana)


def rows_csv(data):
    """The per-procedure rows as CSV text (BOM, CRLF), every cell neutralised (csv_cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for row in data["procedures"]:
        writer.writerow([csv_cell(row[key]) for key, _ in CSV_COLUMNS])
    return "\ufeff" + buffer.getvalue()
