"""Unit of work: collect writes, commit them as ONE TransactWriteItems with conditions
(a single write goes as that write: it is atomic on its own).

Nothing is written unless `commit()` succeeds (leaving the block without it discards the
writes). A failed condition raises Cancelled naming which labelled writes failed, so a
service can tell "receipt number taken" from "Idempotency-Key used" from "rate exceeded".
"""

import uuid

import botocore.exceptions

from . import dynamo


class Cancelled(Exception):
    def __init__(self, failed, conflict):
        super().__init__(", ".join(sorted(failed)) or "conflict")
        self.failed = set(failed)  # labels whose condition failed
        self.conflict = conflict  # another transaction touched the same item


class UnitOfWork:
    def __init__(self, client, table):
        self.client, self.table = client, table
        self._writes, self._labels = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._writes, self._labels = [], []  # rollback by default
        return False

    def _add(self, kind, body, label, condition, values, names, table=None):
        body = {
            "TableName": table or self.table,
            **body,
            **dynamo.conditions(condition, values, names),
        }
        self._writes.append({kind: body})
        self._labels.append(label or f"{kind}{len(self._labels)}")

    def put(self, item, condition=None, values=None, names=None, label=None, table=None):
        self._add("Put", {"Item": dynamo.to_item(item)}, label, condition, values, names, table)

    def put_new(self, item, label=None, table=None):
        """Put that fails when an item with the same key exists (`table`: another table
        than the store's, in the same transaction: the audit trail's entry of a change)."""
        self.put(item, condition="attribute_not_exists(pk)", label=label, table=table)

    def update(self, key, expression, condition=None, values=None, names=None, label=None):
        body = {"Key": dynamo.to_item(key), "UpdateExpression": expression}
        self._add("Update", body, label, condition, values, names)

    def delete(self, key, condition=None, values=None, names=None, label=None):
        self._add("Delete", {"Key": dynamo.to_item(key)}, label, condition, values, names)

    def commit(self):
        if not self._writes:
            return
        if len(self._writes) == 1:
            return self._commit_one()
        try:
            with dynamo.unavailable_on_failure():
                # one token per commit: DynamoDB applies a retried transaction (botocore
                # retries after a timeout) once and answers it as it answered the first
                self.client.transact_write_items(
                    TransactItems=self._writes, ClientRequestToken=str(uuid.uuid4())
                )
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            failed = {
                label
                for label, reason in zip(self._labels, reasons, strict=False)
                if reason.get("Code") == "ConditionalCheckFailed"
            }
            conflict = any(r.get("Code") == "TransactionConflict" for r in reasons)
            raise Cancelled(failed, conflict or not failed) from None
        finally:
            self._writes, self._labels = [], []

    def _commit_one(self):
        """One write is atomic on its own: sent as that write (PutItem, UpdateItem,
        DeleteItem), which costs half a transaction's capacity, with the same outcome."""
        ((kind, body),) = self._writes[0].items()
        label = self._labels[0]
        self._writes, self._labels = [], []
        call = {
            "Put": self.client.put_item,
            "Update": self.client.update_item,
            "Delete": self.client.delete_item,
        }[kind]
        try:
            with dynamo.unavailable_on_failure():
                call(**body)
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise Cancelled({label}, False) from None
