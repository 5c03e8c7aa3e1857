"""The newsletter from the console: a built issue sent with the exactly-once sender after a
confirm page (a second send does nothing), its progress, bounces and suppressions, and the
subscribers per topic and language; the prefecture's 広報課 only; every send audited."""

import email
import email.policy
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from hiroba_core import tokens
from hiroba_core.domain.subscription import Preferences
from hiroba_core.mail import Mailer
from hiroba_core.services import newsletter_staff, sending
from hiroba_core.store.newsletter import NewsletterStore


def built_issue(stack, topic="kanko", department="koho"):
    """An issue as plugins/newsletter writes it, in the folder the console reads."""
    issue_id = f"2026-12-{time.time_ns() % 28 + 1:02d}-t{time.time_ns()}"
    data = {
        "id": issue_id,
        "kind": topic,
        "department": department,
        "topics": [topic],
        "frequency": "immediate",
        "lang": "ja",
        "subject": f"【メルマガ・みやぎ】テスト号 {issue_id}",
        "url": f"http://127.0.0.1:8000/newsletter/{issue_id}/",
        "html": None,
        "text": "今週のお知らせです。\n配信の変更: %%HIROBA_MANAGE_URL%%\n"
        "配信の停止: %%HIROBA_UNSUBSCRIBE_URL%%\n",
    }
    folder = Path(stack.settings().newsletter_issues) / issue_id
    folder.mkdir(parents=True)
    (folder / "issue.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return issue_id


def subscribe(store, address, topics=("kanko",), lang="ja"):
    sid = tokens.subscriber_ids(store.settings.keys, address)[0]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    assert store.confirm(sid, address, Preferences(topics, "immediate", lang), now)
    return sid


def _mails(stack, subject):
    found = []
    for path in stack.mail.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["Subject"] == subject:
            found.append(message)
    return found


def test_send_an_issue_once_with_its_progress_and_the_audit_trail(stack, signed_in):
    store = NewsletterStore(stack.settings())
    run = time.time_ns()
    mine = [f"reader{n}-{run}@example.jp" for n in range(3)]
    for address in mine[:2]:
        subscribe(store, address)
    subscribe(store, mine[2], topics=("kanko", "event"), lang="en")
    bounced = subscribe(store, f"bounced-{run}@example.jp")
    assert store.suppress(bounced, "bounce", datetime.now(UTC).isoformat(timespec="seconds"))
    issue_id = built_issue(stack)
    subject = f"【メルマガ・みやぎ】テスト号 {issue_id}"
    admin = signed_in("miyagi-admin")

    overview = admin.get("/staff/newsletter")
    assert overview.status == 200 and issue_id in overview.text
    assert "観光" in overview.text and "<td>en</td>" in overview.text
    assert "不達（バウンス）" in overview.text
    assert f"bounced-{run}" not in overview.text and mine[0] not in overview.text
    found = admin.get(f"/staff/newsletter?issue={issue_id}")
    assert found.status == 303 and found.location == f"/staff/newsletter/issues/{issue_id}"
    page = admin.get(f"/staff/newsletter/issues/{issue_id}")
    assert page.status == 200 and "まだ送信していません" in page.text

    confirm = admin.get(f"/staff/newsletter/issues/{issue_id}/send")
    assert confirm.status == 200 and "送信の確認" in confirm.text and subject in confirm.text
    assert _mails(stack, subject) == []  # the confirm page sends nothing
    sent = admin.post(f"/staff/newsletter/issues/{issue_id}/send", {"csrf": confirm.csrf()})
    assert sent.status == 303 and sent.location == f"/staff/newsletter/issues/{issue_id}"
    mails = _mails(stack, subject)
    assert sorted(m["To"] for m in mails if m["To"] in mine) == sorted(mine)  # one each
    assert all(m["List-Unsubscribe"] for m in mails)
    assert not any(m["To"].startswith("bounced-") for m in mails)
    again = admin.post(f"/staff/newsletter/issues/{issue_id}/send", {"csrf": confirm.csrf()})
    assert again.status == 303 and again.location.endswith("?already=1")
    assert len(_mails(stack, subject)) == len(mails)  # the second send did nothing

    progress = admin.get(f"/staff/newsletter/issues/{issue_id}")
    assert "miyagi-admin（" in progress.text  # who sent it, when
    view = newsletter_staff.progress(store, sending.Issue.from_dict(_data(stack, issue_id)))
    assert view.pending == 0 and view.sent == len(mails) >= 3 and view.done
    assert f"{view.sent}件" in progress.text
    assert "送信する" not in progress.text  # nothing left to send: no button
    trail = admin.get("/staff/audit").text
    assert trail.count(f"<td>送信</td><td>{issue_id}</td>") == 1  # once: the first press


def _data(stack, issue_id):
    path = Path(stack.settings().newsletter_issues) / issue_id / "issue.json"
    return json.loads(path.read_text("utf-8"))


def test_only_the_prefectures_public_relations_send_it(stack, signed_in):
    issue_id = built_issue(stack)
    path = f"/staff/newsletter/issues/{issue_id}/send"
    assert signed_in("sendai-admin").get("/staff/newsletter").status == 404
    assert signed_in("zeimu-kacho").get("/staff/newsletter").status == 403
    assert signed_in("zeimu-kacho").get(path).status == 403
    kacho = signed_in("zeimu-kacho")
    assert kacho.post(path, {"csrf": kacho.get("/staff/").csrf()}).status == 403
    admin = signed_in("miyagi-admin")
    assert admin.get("/staff/newsletter/issues/2026-01-01-nothing").status == 404
    assert admin.get("/staff/newsletter?issue=../../etc/passwd").status == 404
    assert NewsletterStore(stack.settings()).issue_started(issue_id) is None


def test_a_run_stops_at_its_budget_and_the_next_sends_the_rest(stack):
    store = NewsletterStore(stack.settings())
    subscribe(store, f"budget-{time.time_ns()}@example.jp", topics=("kensei",))
    issue = sending.Issue.from_dict(_data(stack, built_issue(stack, topic="kensei")))
    mailer = Mailer.from_settings(stack.settings())
    report = sending.send_issue(store, mailer, issue, rate=0, budget=0)
    assert report.left == report.recipients >= 1 and report.sent == 0
    assert store.sends(issue.id) == {}  # nothing claimed: nothing uncertain
    rest = sending.send_issue(store, mailer, issue, rate=0, budget=60)
    assert rest.left == 0 and rest.sent == report.recipients
