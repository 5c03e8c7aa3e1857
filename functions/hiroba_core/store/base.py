"""What every app's store shares: its table, the unit of work, reads by key and by Query."""

from . import dynamo
from .tables import TABLES
from .uow import UnitOfWork


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
        items, start = [], None
        while True:
            if start:
                kwargs["ExclusiveStartKey"] = start
            with dynamo.unavailable_on_failure():
                page = self.client.query(**{"TableName": self.table, **kwargs})
            items += [dynamo.from_item(i) for i in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items


def serialize(value):
    """One value in DynamoDB's typed form, for ExpressionAttributeValues."""
    return dynamo.to_values({"v": value})["v"]
