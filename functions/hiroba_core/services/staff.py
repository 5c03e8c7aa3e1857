"""Staff use cases: list and export comments, hide spam, record the prefecture's response."""

import csv
import io

from ..access import authorize
from ..content.escape import markdown_lines, markdown_text
from ..domain import CommentStatus
from ..domain.dantai import PREFECTURE_OF_MIYAGI
from ..errors import FieldError, NotFound, ValidationFailed, VersionConflict
from ..ids import format_receipt
from ..validation import PERSONAL_FIELDS, normalize
from .applications import audited

MAX_RESPONSE = 8000


def _consultation_for(store, consultation_id, staff, permission):
    """Consultations are the prefecture's (the publishing site is 宮城県's own)."""
    consultation = store.get_consultation(consultation_id)
    if consultation is None:
        raise NotFound("consultation")
    authorize(staff, permission, PREFECTURE_OF_MIYAGI, consultation.department)
    return consultation


def list_comments(store, consultation_id, staff, permission="view_personal"):
    consultation = _consultation_for(store, consultation_id, staff, permission)
    return consultation, store.list_comments(consultation_id, with_personal=True)


def comment_view(comment):
    return {
        "id": comment.id,
        "receipt_number": format_receipt(comment.receipt),
        "received_at": comment.created_at,
        "status": comment.status.value,
        "answers": comment.answers,
        "response": comment.response,
        "version": comment.version,
        "personal": comment.personal or {},
    }


# A cell starting with one of these is a formula to Excel and LibreOffice (=HYPERLINK(…),
# =cmd|…, +, -, @), also after a leading tab or carriage return.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A cell as text a spreadsheet shows and never runs: a leading quote before anything
    that would start a formula (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_csv(store, consultation_id, staff):
    """The comments as CSV text starting with a BOM, so Excel opens it as UTF-8. Every
    cell is neutralised (csv_cell): residents' text is never a formula in staff's Excel."""
    consultation, comments = list_comments(store, consultation_id, staff, "export")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    questions = list(consultation.questions)
    personal = list(consultation.personal_fields)
    writer.writerow(
        ["受付番号", "受付日時", "状態"]
        + [q.label for q in questions]
        + [PERSONAL_FIELDS[name][0] for name in personal]
        + ["県の考え方"]
    )
    for c in comments:
        row = (
            [format_receipt(c.receipt), c.created_at, c.status.value]
            + [c.answers.get(q.id, "") for q in questions]
            + [(c.personal or {}).get(name, "") for name in personal]
            + [c.response]
        )
        writer.writerow([csv_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def consultations_for(store, staff):
    """The prefecture's consultations whose comments `staff` may see (their department's;
    every one for the prefecture's admins; none for another 団体)."""
    from ..access import may

    return [
        c
        for c in store.list_consultations()
        if may(staff, "view", PREFECTURE_OF_MIYAGI, c.department)
    ]


def _change(store, consultation_id, comment_id, staff, version, change, audit=None, action=""):
    _consultation_for(store, consultation_id, staff, "moderate")
    if not (type(version) is int and version >= 1):
        # as in the procedures app: a change without the version read would overwrite
        # whatever another member of staff did in between (a lost update)
        raise ValidationFailed(
            [
                FieldError(
                    "version",
                    "読み込んだときの版の番号（version）を指定してください",
                    "Give the version you read (an integer from 1)",
                )
            ]
        )
    comment = store.get_comment(consultation_id, comment_id)
    if comment is None:
        raise NotFound("comment")
    if version != comment.version:
        raise VersionConflict()
    old_status, old_version = comment.status, comment.version
    change(comment)
    store.save_comment_change(
        comment,
        old_status,
        old_version,
        audit=audited(audit, action, f"{consultation_id}/{format_receipt(comment.receipt)}", ""),
    )
    return comment


def set_hidden(store, consultation_id, comment_id, staff, hidden, version, audit=None):
    def change(comment):
        if hidden:
            comment.hide()
        else:
            comment.restore()

    return _change(store, consultation_id, comment_id, staff, version, change, audit, "moderate")


def record_response(store, consultation_id, comment_id, staff, response, version, audit=None):
    text = normalize(response, multiline=True) if isinstance(response, str) else ""
    if not text or len(text) > MAX_RESPONSE:
        raise ValidationFailed(
            [
                FieldError(
                    "response",
                    f"県の考え方を{MAX_RESPONSE}文字以内で入力してください",
                    f"Enter the response in {MAX_RESPONSE} characters or fewer",
                )
            ]
        )
    return _change(
        store,
        consultation_id,
        comment_id,
        staff,
        version,
        lambda c: c.answer(text),
        audit,
        "respond",
    )


def published_results(store, consultation_id):
    """(consultation, [(answers, response)]) for answered, not hidden comments: no personal data."""
    consultation = store.get_consultation(consultation_id)
    if consultation is None:
        raise NotFound("consultation")
    rows = [
        (c.answers, c.response)
        for c in store.list_comments(consultation_id)
        if c.status == CommentStatus.ANSWERED
    ]
    return consultation, rows


def result_counts(store, consultation_id):
    """{status value: count} of a consultation's comments, and "total" (hidden ones are
    spam or abuse, not opinions: not in the total)."""
    counts = {status.value: 0 for status in CommentStatus}
    for comment in store.list_comments(consultation_id):
        counts[comment.status.value] += 1
    counts["total"] = counts["received"] + counts["answered"]
    return counts


def consultation_results(store, consultation_id, staff):
    """What staff need to publish a consultation's results (意見募集の結果): the
    consultation, its counts and its answered comments; the department's, for export."""
    consultation = _consultation_for(store, consultation_id, staff, "export")
    _, rows = published_results(store, consultation_id)
    return consultation, result_counts(store, consultation_id), rows


def results_markdown(consultation, rows, counts, day):
    """The results page an editor commits as content/consultations/results/<id>-kekka.md
    (the consultation's page links to it): residents' answers escaped so that they show
    as typed, never as markup; no personal data; `day` the page's date (YYYY-MM-DD)."""
    labels = {q.id: q.label for q in consultation.questions}
    lines = [
        f"Title: {consultation.title}の結果",
        f"Slug: {consultation.id}-kekka",
        f"Summary: 「{consultation.title}」に寄せられた意見の概要と県の考え方です。",
        f"Department: {consultation.department}",
        f"Date: {day}",
        "",
        f"[{consultation.title}](/consultations/{consultation.id}/)に寄せられたご意見の概要と、"
        "それに対する県の考え方です。個人が特定される情報は掲載していません。",
        "",
        f"ご意見をいただいた件数は{counts['total']}件です。"
        f"このうち、県の考え方とともに掲載するものは{len(rows)}件です。",
        "",
    ]
    for number, (answers, response) in enumerate(rows, start=1):
        lines += [f"## ご意見{number}", ""]
        for qid, text in answers.items():
            lines += [f"### {markdown_text(labels.get(qid, qid))}", "", *_quote(text), ""]
        lines += ["### 県の考え方", "", *response.splitlines(), ""]
    return "\n".join(lines).rstrip() + "\n"


def _quote(text):
    return [f"> {line}" if line.strip() else ">" for line in markdown_lines(text)]
