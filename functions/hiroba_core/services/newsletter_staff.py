"""The newsletter (メルマガ・みやぎ) from the staff console: send a built issue with the
exactly-once sender (services.sending), its progress, bounces and suppressions, and the
subscribers per topic and language.

The newsletter is the prefecture's (団体 040002), edited by its 広報課 (`koho`, the
Department of content/newsletter/*.md, which the build writes into issue.json): staff of
another 団体 find nothing, of another department are refused (hiroba_core.access).
Built issues are read from `settings.newsletter_issues`: a folder (make run: the build's
output/newsletter) or the site's https URL, where the build publishes them.
"""

import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..access import authorize
from ..domain.dantai import PREFECTURE_OF_MIYAGI
from ..domain.subscription import TOPICS, SendStatus
from ..errors import MailUnavailable, NotFound, StoreUnavailable
from ..store import newsletter as items
from ..store.uow import Cancelled
from . import sending

DEPARTMENT = "koho"  # 総務部 広報課 (content/registry/departments.toml) edits the newsletter
ISSUE_ID = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")  # plugins/newsletter
MAX_ISSUE_BYTES = 2_000_000
SEND_BUDGET_SECONDS = 20  # within the console function's 28 s and API Gateway's 29 s
REASONS = {"bounce": "不達（バウンス）", "complaint": "迷惑メールの報告"}


def authorize_newsletter(staff, permission, department=DEPARTMENT):
    authorize(staff, permission, PREFECTURE_OF_MIYAGI, department)


# ---------------------------------------------------------------- built issues


def _base(settings):
    return settings.newsletter_issues or f"{settings.site_url}/newsletter"


def _remote(base):
    return base.startswith(("https://", "http://"))


def read_issue(settings, issue_id):
    """(Issue, the issue.json data) of a built issue; NotFound for an id that is not one."""
    if not isinstance(issue_id, str) or not ISSUE_ID.match(issue_id):
        raise NotFound("issue")
    base = _base(settings)
    try:
        if _remote(base):
            with urllib.request.urlopen(f"{base}/{issue_id}/issue.json", timeout=10) as reply:
                raw = reply.read(MAX_ISSUE_BYTES + 1)
        else:
            raw = (Path(base) / issue_id / "issue.json").read_bytes()
    except urllib.error.HTTPError as error:
        if error.code in (403, 404):
            raise NotFound("issue") from None
        raise StoreUnavailable() from None
    except FileNotFoundError:
        raise NotFound("issue") from None
    except OSError:
        raise StoreUnavailable() from None
    if len(raw) > MAX_ISSUE_BYTES:
        raise NotFound("issue")
    try:
        data = json.loads(raw)
        issue = sending.Issue.from_dict(data)
    except (ValueError, KeyError, TypeError):
        raise NotFound("issue") from None
    if issue.id != issue_id:
        raise NotFound("issue")
    return issue, data


def issue_ids(settings):
    """The built issues' ids, newest first, where they can be listed (a folder); from the
    site's URL none: staff give the id (the archive page shows them)."""
    base = _base(settings)
    if _remote(base) or not Path(base).is_dir():
        return []
    found = [p.name for p in Path(base).iterdir() if ISSUE_ID.match(p.name)]
    return sorted((i for i in found if (Path(base) / i / "issue.json").is_file()), reverse=True)


def department_of(data):
    return data.get("department") or DEPARTMENT


# ---------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    recipients: int  # the issue's subscribers now, and whoever already has a record
    sent: int
    failed: int  # refused by the transport for good (never retried)
    uncertain: int  # left in "sending" by a crash: not resent (sending.py says why)
    pending: int  # not sent yet
    started: dict | None  # who sent it from the console, when

    @property
    def done(self):
        return self.started is not None and self.pending == 0


def progress(store, issue):
    recorded = store.sends(issue.id)
    wanted = {s.id for s in sending.recipients(store, issue)}
    counts = Counter(recorded.values())
    return Progress(
        recipients=len(wanted | set(recorded)),
        sent=counts[SendStatus.SENT],
        failed=counts[SendStatus.FAILED],
        uncertain=counts[SendStatus.SENDING],
        pending=len(wanted - set(recorded)),
        started=store.issue_started(issue.id),
    )


# ---------------------------------------------------------------- sending


def send(store, mailer, issue, data, staff, *, audit=None, budget=SEND_BUDGET_SECONDS, now=None):
    """Send `issue` from the console: the first press writes the issue's marker and its
    audit entry in one transaction, then runs the exactly-once sender; a later press
    sends only what is still pending (a run stopped by its time budget), and nothing at
    all once every recipient has a send. Returns (sending.Report or None, first)."""
    authorize_newsletter(staff, "send", department_of(data))
    if mailer is None:
        raise MailUnavailable()
    epoch = int(now if now is not None else time.time())
    at = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
    first = False
    if store.issue_started(issue.id) is None:
        with store.uow() as uow:
            by = staff.username or staff.subject
            uow.put_new(items.issue_started_item(issue.id, by, at, epoch), "started")
            if audit is not None:
                audit(uow, "send", issue.id, issue.subject[:200])
            try:
                uow.commit()
                first = True
            except Cancelled as cancelled:
                if "started" not in cancelled.failed:  # not another press at the same moment
                    raise StoreUnavailable() from None
    if not first:
        if progress(store, issue).pending == 0:
            return None, False  # sent already: a second send does nothing
        if audit is not None:
            with store.uow() as uow:
                audit(uow, "send", issue.id, "再開（未送信の分）")
                uow.commit()
    report = sending.send_issue(
        store, mailer, issue, rate=store.settings.newsletter_rate, budget=budget
    )
    return report, first


# ---------------------------------------------------------------- subscribers


def subscriber_counts(store):
    """Confirmed subscribers: total, per topic (one person may have several), per
    language, per frequency. Counts only: no address leaves the table."""
    people = store.confirmed_subscribers()
    topics, languages, frequencies = Counter(), Counter(), Counter()
    for person in people:
        topics.update(set(person.preferences.topics))
        languages[person.preferences.lang] += 1
        frequencies[person.preferences.frequency] += 1
    return {
        "total": len(people),
        "topics": [(TOPICS[t][0], topics[t]) for t in TOPICS],
        "languages": sorted(languages.items(), key=lambda kv: (-kv[1], kv[0])),
        "frequencies": dict(frequencies),
    }


def suppressions(store, limit=50):
    """(counts per reason, the newest `limit` as (at, reason label)): SES's bounce and
    complaint notifications (services.newsletter.handle_sns) put these addresses off
    every list for good."""
    found = store.suppressed()
    counts = Counter(reason for _, reason in found)
    newest = [(at, REASONS.get(reason, reason)) for at, reason in found[:limit]]
    return {REASONS.get(k, k): v for k, v in counts.items()}, newest
