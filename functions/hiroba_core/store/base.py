"""What every app's store shares: its table, the unit of work, reads by key and by Query,
Idempotency-Key records, and the one way a status is written."""

from ..errors import VersionConflict
from . import dynamo, mapping
from .tables import TABLES
from .uow import Cancelled, UnitOfWork


class TableStore:
    """One app's table (`TABLES[app]`); reads by key or Query (never Scan), writes via UoW."""

    app = ""

    def __init__(self, settings):
        self.settings = settings
        self.client = dynamo.client(settings)
        self.table = TABLES[self.app].name(settings)

    def uow(self):
        return UnitOfWork(self.client, self.table)

    def _get(self, key, consistent=False):
        with dynamo.unavailable_on_failure():
            response = self.client.get_item(
                TableName=self.table, Key=dynamo.to_item(key), ConsistentRead=consistent
            )
        item = response.get("Item")
        return dynamo.from_item(item) if item else None

    def _query(self, **kwargs):
        return [item for page in self._query_pages(**kwargs) for item in page]

    def _query_pages(self, **kwargs):
        """The Query's items a page at a time, as DynamoDB answers (up to 1 MB each)."""
        start = None
        while True:
            if start:
                kwargs["ExclusiveStartKey"] = start
            with dynamo.unavailable_on_failure():
                page = self.client.query(**{"TableName": self.table, **kwargs})
            yield [dynamo.from_item(i) for i in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def get_idempotency(self, scope, key):
        """The record an earlier request with this Idempotency-Key left (services/intake.py)."""
        return self._get(mapping.idempotency_key(scope, key), consistent=True)

    def _write_status(
        self, key, old, new, also="", values=None, names=None, *, remove="", requires="", audit=None
    ):
        """Write a change of status: `new` = (status, version) as the domain's transition()
        left them, plus the SET clauses in `also` (and REMOVE `remove`), only while the item
        still has the `old` (status, version) that was read and `requires` holds;
        VersionConflict when somebody changed it first. `audit(uow)` adds its records
        (the audit trail) to the same transaction, so a change is never unaudited."""
        (old_status, old_version), (new_status, new_version) = old, new
        with self.uow() as uow:
            uow.update(
                key,
                "SET #s = :s, #v = :v"
                + (f", {also}" if also else "")
                + (f" REMOVE {remove}" if remove else ""),
                condition="#s = :old AND #v = :oldv" + (f" AND {requires}" if requires else ""),
                values={
                    ":s": new_status.value,
                    ":v": new_version,
                    ":old": old_status.value,
                    ":oldv": old_version,
                    **(values or {}),
                },
                names={"#s": "status", "#v": "version", **(names or {})},
                label="status",
            )
            if audit is not None:
                audit(uow)
            try:
                uow.commit()
            except Cancelled:
                raise VersionConflict() from None


def serialize(value):
    """One value in DynamoDB's typed form, for ExpressionAttributeValues."""
    return dynamo.to_values({"v": value})["v"]
