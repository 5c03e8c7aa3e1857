"""The publishing app's store: reads by key or Query (never Scan), writes via UnitOfWork."""

from . import dynamo, mapping
from .base import TableStore
from .base import serialize as _serialize


class PublishingStore(TableStore):
    app = "publishing"

    # ------------------------------------------------------------ reading

    def get_consultation(self, consultation_id):
        item = self._get(mapping.consultation_key(consultation_id))
        return mapping.consultation_from_item(item) if item else None

    def list_consultations(self):
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": _serialize("CONSULTATIONS")},
        )
        return [mapping.consultation_from_item(i) for i in items]

    def list_comments(self, consultation_id, with_personal=False):
        values = {":p": _serialize(f"CONSULTATION#{consultation_id}")}
        comments = self._query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
            ExpressionAttributeValues={**values, ":s": _serialize("COMMENT#")},
            ConsistentRead=True,
        )
        personal = {}
        if with_personal:
            for item in self._query(
                KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                ExpressionAttributeValues={**values, ":s": _serialize("PERSONAL#")},
                ConsistentRead=True,
            ):
                personal[item["sk"].split("#", 1)[1]] = item.get("personal", {})
        return [mapping.comment_from_item(i, personal.get(i["id"])) for i in comments]

    def get_comment(self, consultation_id, comment_id):
        item = self._get(mapping.comment_key(consultation_id, comment_id), consistent=True)
        return mapping.comment_from_item(item) if item else None

    def get_receipt(self, number):
        item = self._get(mapping.receipt_key(number))
        return mapping.receipt_from_item(item) if item else None

    def save_comment_change(self, comment, old_status, old_version, audit=None):
        """Write a change made by comment.transition() (hide, restore, answer); `audit(uow)`
        adds the audit record to the same transaction."""
        self._write_status(
            mapping.comment_key(comment.consultation_id, comment.id),
            (old_status, old_version),
            (comment.status, comment.version),
            also="#r = :r",
            values={":r": comment.response or ""},
            names={"#r": "response"},
            audit=audit,
        )

    # ------------------------------------------------------------ writing outside a UoW

    def save_consultation(self, consultation):
        """Create or update a consultation's definition (the sync CLI); keeps its comments."""
        key = mapping.consultation_key(consultation.id)
        with dynamo.unavailable_on_failure():
            self.client.update_item(
                TableName=self.table,
                Key=dynamo.to_item(key),
                UpdateExpression="SET #d = :d, gsi1pk = :g, gsi1sk = :s, #t = :t",
                ExpressionAttributeNames={"#d": "data", "#t": "type"},
                ExpressionAttributeValues=dynamo.to_values(
                    {
                        ":d": consultation.as_dict(),
                        ":g": "CONSULTATIONS",
                        ":s": consultation.id,
                        ":t": "consultation",
                    }
                ),
            )
