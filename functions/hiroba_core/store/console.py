"""The staff console's tables: sessions (hiroba-console) and the audit trail (hiroba-audit).

A session is stored under a hash of its id, so whoever reads the table cannot take one
over; it expires by TTL after the idle timeout. The audit trail is append-only: entries
are written with `attribute_not_exists` and the console's IAM policy has no UpdateItem or
DeleteItem on that table (infra/aws/template.py), so no role can change the past.
"""

import hashlib
import secrets

from . import dynamo
from .base import TableStore
from .tables import TABLES


def session_key(session_id):
    digest = hashlib.sha256(("session:" + session_id).encode()).hexdigest()
    return {"pk": "SESSION#" + digest, "sk": "SESSION"}


def audit_item(entry):
    """An audit entry as an item: one partition per 団体, newest last (sk = time#random)."""
    return {
        "pk": "AUDIT#" + entry["dantai"],
        "sk": f"{entry['at']}#{secrets.token_hex(6)}",
        **entry,
    }


class ConsoleStore(TableStore):
    app = "console"

    def __init__(self, settings):
        super().__init__(settings)
        self.audit_table = TABLES["audit"].name(settings)

    # ------------------------------------------------------------ sessions

    def put_session(self, session_id, data):
        with self.uow() as uow:
            uow.put_new({**session_key(session_id), **data}, label="session")
            uow.commit()

    def get_session(self, session_id):
        item = self._get(session_key(session_id), consistent=True)
        if not item or item.get("ended"):
            return None
        for key in ("pk", "sk"):
            item.pop(key)
        return item

    def touch_session(self, session_id, last_seen, expires_at):
        """Move the idle clock on; only forward, so an old request cannot revive it."""
        with dynamo.unavailable_on_failure():
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=dynamo.to_item(session_key(session_id)),
                    UpdateExpression="SET last_seen = :now, expires_at = :exp",
                    ConditionExpression="attribute_exists(pk) AND last_seen <= :now",
                    ExpressionAttributeValues=dynamo.to_values(
                        {":now": last_seen, ":exp": expires_at}
                    ),
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                return False
        return True

    def end_session(self, session_id, now_epoch):
        """Mark the session ended (TTL removes the item): the console never deletes."""
        with dynamo.unavailable_on_failure():
            self.client.update_item(
                TableName=self.table,
                Key=dynamo.to_item(session_key(session_id)),
                UpdateExpression="SET ended = :t, expires_at = :t",
                ExpressionAttributeValues=dynamo.to_values({":t": now_epoch}),
            )

    # ------------------------------------------------------------ audit trail

    def append_audit(self, entry, uow=None):
        """Append one entry; inside `uow` (another store's unit of work) it commits with
        the change it records, or not at all."""
        item = audit_item(entry)
        if uow is not None:
            uow.put_new(item, label="audit", table=self.audit_table)
            return item
        with self.uow() as own:
            own.put_new(item, label="audit", table=self.audit_table)
            own.commit()
        return item

    def audit_entries(self, dantai, limit=50, before=None):
        """(entries newest first, cursor for the next older page or None)."""
        kwargs = {
            "KeyConditionExpression": "pk = :pk" + (" AND sk < :before" if before else ""),
            "ExpressionAttributeValues": dynamo.to_values(
                {":pk": "AUDIT#" + dantai, **({":before": before} if before else {})}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        with dynamo.unavailable_on_failure():
            page = self.client.query(TableName=self.audit_table, **kwargs)
        items = [dynamo.from_item(i) for i in page.get("Items", [])]
        cursor = items[-1]["sk"] if page.get("LastEvaluatedKey") and items else None
        return items, cursor

    def all_audit_entries(self, dantai):
        """Every entry of the 団体, oldest first (the CSV export)."""
        return self._query(
            TableName=self.audit_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=dynamo.to_values({":pk": "AUDIT#" + dantai}),
        )
