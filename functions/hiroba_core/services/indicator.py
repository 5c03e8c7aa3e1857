"""The plan's indicator: submitters per consultation and the average per closed case.

第2期みやぎ電子自治体推進計画: パブリックコメントにおける1実施案件当たりの平均意見提出者・
団体数, 23 (現状値) → 30 (目標値). Hidden (spam) comments do not count.
"""

from ..domain import CommentStatus

BASELINE, TARGET = 23, 30


def indicator(store, now):
    rows = []
    for consultation in sorted(store.list_consultations(), key=lambda c: c.id):
        if consultation.kind != "consultation":
            continue
        comments = store.list_comments(consultation.id)
        submitters = sum(1 for c in comments if c.status != CommentStatus.HIDDEN)
        rows.append(
            {
                "id": consultation.id,
                "title": consultation.title,
                "url": consultation.url,
                "opens_at": consultation.opens_at.isoformat() if consultation.opens_at else None,
                "closes_at": consultation.closes_at.isoformat() if consultation.closes_at else None,
                "state": consultation.state(now),
                "submitters": submitters,
            }
        )
    closed = [r for r in rows if r["state"] == "closed"]
    average = round(sum(r["submitters"] for r in closed) / len(closed), 1) if closed else None
    return {
        "indicator": "パブリックコメントにおける1実施案件当たりの平均意見提出者・団体数",
        "baseline": BASELINE,
        "target": TARGET,
        "closed_cases": len(closed),
        "average_per_closed_case": average,
        "generated_at": now.isoformat(timespec="seconds"),
        "consultations": rows,
    }
