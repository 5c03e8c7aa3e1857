"""The procedures app's store and its items, mapped by hand (the only place that knows them).

APPLICATION#<ref>  APPLICATION   procedure, department, status, version, history, fee,
                                 received_at, inquiry_hash (keyed hash of the code);
                                 gsi1pk=PROCEDURE#<id>, gsi1sk=<received_at>#<ref>
APPLICATION#<ref>  APPLICANT     what the applicant wrote: their personal data and the
                                 answers (an old address, a number plate …), deleted by TTL
                                 (expires_at, the procedure's retention_days) and ignored once
                                 past it; gsi1sk=<received_at>#<ref>#applicant, right after
                                 its application, so staff read both in one Query
IDEMPOTENCY#applications#<sha256 of key>  IDEMPOTENCY   body hash, reference, TTL 24 h
RATE#intake#<client hash>#<window>   RATE   accepted applications per client, TTL
RATE#inquiry#<client hash>#<window>  RATE   status inquiries per client, TTL
DRAFT#<sha256 of the draft id>  DRAFT  an application being written (domain/draft.py): the
                                 verified address, the code's keyed hash, what was typed,
                                 the deadline; TTL expires_at = the deadline (30/90 minutes,
                                 7 days when saved). The id itself (the cookie) is not kept.
RATE#apply-start#<client hash>#<window>, RATE#apply-mail#<address hash>#<window>  RATE
                                 drafts started per client, codes mailed per address, TTL

The status inquiry reads only the APPLICATION item (GetItem by reference): personal data is
never read for it.
"""

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

from ..domain.application import Application, ApplicationStatus, Change
from ..domain.draft import Draft
from . import dynamo
from .base import TableStore, serialize
from .uow import Cancelled

APPLICATION, APPLICANT, DRAFT = "APPLICATION", "APPLICANT", "DRAFT"
GONE = "gone"  # a draft erased before its TTL: the key, nothing else
IDEMPOTENCY_SCOPE = "applications"


def application_key(reference):
    return {"pk": f"APPLICATION#{reference}", "sk": APPLICATION}


def applicant_key(reference):
    return {"pk": f"APPLICATION#{reference}", "sk": APPLICANT}


def _index(application, suffix=""):
    return {
        "gsi1pk": f"PROCEDURE#{application.procedure_id}",
        "gsi1sk": f"{application.received_at}#{application.reference}{suffix}",
    }


def application_to_item(application):
    return {
        **application_key(application.reference),
        **_index(application),
        "type": "application",
        "reference": application.reference,
        "procedure_id": application.procedure_id,
        "department": application.department,
        "dantai": application.dantai,
        "received_at": application.received_at,
        "fee": application.fee,
        "inquiry_hash": application.inquiry_hash,
        "status": application.status.value,
        "version": application.version,
        "history": [change.as_dict() for change in application.history],
    }


def applicant_to_item(application, expires_at):
    return {
        **applicant_key(application.reference),
        **_index(application, "#applicant"),
        "type": "applicant",
        "applicant": dict(application.applicant or {}),
        "answers": dict(application.answers),
        "expires_at": int(expires_at),
    }


def draft_key(draft_id):
    return {"pk": f"DRAFT#{hashlib.sha256(draft_id.encode()).hexdigest()}", "sk": DRAFT}


def _epoch(moment):
    return int(moment.timestamp())


def draft_to_item(draft):
    return {
        **draft_key(draft.id),
        "type": "draft",
        "procedure_id": draft.procedure_id,
        "dantai": draft.dantai,
        "email": draft.email,
        "code_hash": draft.code_hash,
        "state": draft.state,
        "attempts": draft.attempts,
        "sends": draft.sends,
        "sent_at": _epoch(draft.sent_at) if draft.sent_at else None,
        "values": dict(draft.values),
        "reference": draft.reference or None,
        "version": draft.version,
        "deadline": _epoch(draft.deadline),
        "expires_at": _epoch(draft.deadline),  # TTL: DynamoDB deletes it after the deadline
    }


def _moment(epoch):
    return datetime.fromtimestamp(int(epoch), UTC)


def draft_from_item(draft_id, item):
    return Draft(
        id=draft_id,
        procedure_id=item["procedure_id"],
        dantai=item["dantai"],
        email=item["email"],
        code_hash=item["code_hash"],
        deadline=_moment(item["deadline"]),
        state=item["state"],
        attempts=int(item.get("attempts", 0)),
        sends=int(item.get("sends", 1)),
        sent_at=_moment(item["sent_at"]) if item.get("sent_at") else None,
        values={k: _plain(v) for k, v in item.get("values", {}).items()},
        reference=item.get("reference") or "",
        version=int(item["version"]),
    )


def _plain(value):
    """DynamoDB numbers come back as Decimal; answers hold only integers."""
    return int(value) if isinstance(value, Decimal) else value


def application_from_item(item, personal=None):
    """The application; its applicant and answers come from the APPLICANT item, if given."""
    personal = personal or {}
    return Application(
        reference=item["reference"],
        procedure_id=item["procedure_id"],
        department=item["department"],
        received_at=item["received_at"],
        answers={k: _plain(v) for k, v in personal.get("answers", {}).items()},
        fee=int(item["fee"]),
        inquiry_hash=item["inquiry_hash"],
        status=ApplicationStatus(item["status"]),
        version=int(item["version"]),
        history=[Change.from_dict(c) for c in item.get("history", [])],
        applicant=personal.get("applicant") if personal else None,
        dantai=item.get("dantai", ""),  # "" for applications received before 団体 existed
        proposal=item.get("proposal") or None,
        paid_payment=item.get("paid_payment", ""),
    )


def remembered(application):
    """What a replay needs to answer as the first time did (the code is derived, not kept)."""
    return {
        "reference": application.reference,
        "procedure_id": application.procedure_id,
        "fee": application.fee,
        "received_at": application.received_at,
    }


class DraftChanged(Exception):
    """The draft was changed (another tab, a double click) or deleted since it was read."""


class DraftStore:
    """The drafts' part of ProceduresStore (mixed in): one item per draft, written only
    over the version that was read."""

    def create_draft(self, draft, rate=()):
        """Write a new draft with the rate counters `rate` ((uow -> label) callables) in the
        same transaction; Cancelled names the counter that was full."""
        with self.uow() as uow:
            uow.put_new(draft_to_item(draft), label="draft")
            for count in rate:
                count(uow)
            uow.commit()

    def get_draft(self, draft_id):
        item = self._get(draft_key(draft_id), consistent=True)
        return draft_from_item(draft_id, item) if item and item.get("state") != GONE else None

    def save_draft(self, draft):
        """Write the draft over the version read (then one more); DraftChanged otherwise."""
        read = draft.version
        draft.version += 1
        with self.uow() as uow:
            uow.put(
                draft_to_item(draft),
                condition="#v = :v",
                values={":v": read},
                names={"#v": "version"},
                label="draft",
            )
            try:
                uow.commit()
            except Cancelled:
                draft.version = read
                raise DraftChanged() from None

    def count_code_attempt(self, draft, limit):
        """One more attempt at the code, counted before it is compared (so parallel guesses
        cannot share one count); False when the limit was already reached."""
        with self.uow() as uow:
            uow.update(
                draft_key(draft.id),
                "ADD #a :one",
                condition="attribute_exists(pk) AND #a < :limit",
                values={":one": 1, ":limit": limit},
                names={"#a": "attempts"},
                label="attempt",
            )
            try:
                uow.commit()
            except Cancelled:
                return False
        draft.attempts += 1
        return True

    def erase_draft(self, draft_id, now):
        """Forget what the draft held at once: the item is overwritten with its key alone
        (the apps may not DeleteItem: infra/aws/template.py), which TTL removes later."""
        with self.uow() as uow:
            uow.put({**draft_key(draft_id), "type": "draft", "state": GONE, "expires_at": now})
            uow.commit()


class ProceduresStore(TableStore, DraftStore):
    app = "procedures"

    def get_application_for_staff(self, reference, now_epoch):
        """The application with what the applicant wrote (unless expired): for staff."""
        item = self._get(application_key(reference), consistent=True)
        if not item:
            return None
        personal = self._get(applicant_key(reference), consistent=True)
        return application_from_item(item, _unexpired(personal, now_epoch))

    def get_application(self, reference):
        """The application without its applicant (what the status inquiry may see)."""
        item = self._get(application_key(reference), consistent=True)
        return application_from_item(item) if item else None

    def get_application_with_applicant(self, reference, now_epoch):
        """The application with what the applicant wrote, unless that has expired."""
        item = self._get(application_key(reference), consistent=True)
        if not item:
            return None
        personal = self._get(applicant_key(reference), consistent=True)
        return application_from_item(item, _unexpired(personal, now_epoch))

    def save_change(self, application, old_status, old_version, change, audit=None):
        """Write a status change (application.transition) and append it to the history;
        `audit(uow)` adds the audit record to the same transaction."""
        self._write_status(
            application_key(application.reference),
            (old_status, old_version),
            (application.status, application.version),
            also="history = list_append(history, :h)",
            values={":h": [change.as_dict()]},
            audit=audit,
        )

    def save_proposal(self, application, old_version, audit=None):
        """A proposed 完了/却下 (the two-person rule), from the version read."""
        self._write_status(
            application_key(application.reference),
            (application.status, old_version),
            (application.status, application.version),
            also="proposal = :p",
            values={":p": dict(application.proposal)},
            audit=audit,
        )

    def save_decision(self, application, old_status, old_version, change, proposer, audit=None):
        """The approved change: only while the proposal that was read is still there."""
        self._write_status(
            application_key(application.reference),
            (old_status, old_version),
            (application.status, application.version),
            also="history = list_append(history, :h)",
            values={":h": [change.as_dict()], ":proposer": proposer},
            names={"#by": "by"},
            remove="proposal",
            requires="proposal.#by = :proposer",
            audit=audit,
        )

    def save_correction(self, application, old_status, old_version, change):
        """The applicant's corrected answers (補正) replace the old ones, with the change
        back to review, in one transaction."""

        def answers(uow):
            uow.update(
                applicant_key(application.reference),
                "SET answers = :a",
                condition="attribute_exists(pk)",
                values={":a": dict(application.answers)},
                label="applicant",
            )

        self.save_change(application, old_status, old_version, change, audit=answers)

    def list_applications(self, procedure_id, *, now_epoch, after="", limit=100):
        """(applications oldest first, each with what the applicant wrote unless expired,
        cursor for the next page or None): one Query page on gsi1, never a Scan."""
        condition, values = "gsi1pk = :p", {":p": serialize(f"PROCEDURE#{procedure_id}")}
        if after:
            condition += " AND gsi1sk > :after"
            values[":after"] = serialize(after)
        with dynamo.unavailable_on_failure():
            page = self.client.query(
                TableName=self.table,
                IndexName="gsi1",
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                Limit=2 * limit + 1,  # an application and its APPLICANT item sort together
            )
        items = [dynamo.from_item(i) for i in page.get("Items", [])]
        found = [i for i in items if i.get("sk") == APPLICATION]
        more = len(found) > limit or "LastEvaluatedKey" in page
        found = found[:limit]
        personal = {i["pk"]: i for i in items if i.get("sk") == APPLICANT}
        for item in found:
            if item["pk"] not in personal:  # cut off by the page's end
                reference = item["reference"]
                personal[item["pk"]] = self._get(applicant_key(reference), consistent=True)
        applications = [
            application_from_item(i, _unexpired(personal.get(i["pk"]), now_epoch)) for i in found
        ]
        cursor = found[-1]["gsi1sk"] if more and found else None
        return applications, cursor

    def received(self, procedure_id):
        """[(dantai, received_at)] of every application to the procedure, for the plan's
        indicators: a Query on gsi1 that reads these two attributes and nothing personal."""
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            FilterExpression="sk = :application",
            ProjectionExpression="dantai, received_at",
            ExpressionAttributeValues={
                ":p": serialize(f"PROCEDURE#{procedure_id}"),
                ":application": serialize(APPLICATION),
            },
        )
        return [(item.get("dantai", ""), item["received_at"]) for item in items]


def _unexpired(item, now_epoch):
    """DynamoDB deletes expired items within days, not at once: past expires_at is gone."""
    if item is None or int(item.get("expires_at", 0)) <= now_epoch:
        return None
    return item
