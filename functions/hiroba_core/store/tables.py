"""Every DynamoDB table, defined once: the local bootstrap and infra/ templates use this.

One table per app; items of different kinds share it (single-table design) under `pk`/`sk`,
with one index `gsi1` for lists, and `expires_at` (epoch seconds) as the TTL attribute.
"""

from dataclasses import dataclass

TTL_ATTRIBUTE = "expires_at"


@dataclass(frozen=True)
class TableDef:
    app: str  # the Chalice app that owns the table
    logical_id: str  # CloudFormation resource name
    setting: str  # attribute of Settings holding the physical name
    env: str  # environment variable the app reads
    default_name: str

    def name(self, settings):
        return getattr(settings, self.setting)

    def create_args(self, name=None):
        """Arguments for DynamoDB CreateTable."""
        return {
            "TableName": name or self.default_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk")
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "gsi1",
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        }

    def cloudformation(self):
        """An AWS::DynamoDB::Table resource with the same schema, TTL and recovery on."""
        args = self.create_args()
        return {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "TableName": self.default_name,
                "BillingMode": args["BillingMode"],
                "AttributeDefinitions": args["AttributeDefinitions"],
                "KeySchema": args["KeySchema"],
                "GlobalSecondaryIndexes": args["GlobalSecondaryIndexes"],
                "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        }


TABLES = {
    "publishing": TableDef(
        "publishing",
        "PublishingTable",
        "publishing_table",
        "HIROBA_PUBLISHING_TABLE",
        "hiroba-publishing",
    ),
    "procedures": TableDef(
        "procedures",
        "ProceduresTable",
        "procedures_table",
        "HIROBA_PROCEDURES_TABLE",
        "hiroba-procedures",
    ),
    # the staff console's sessions and the two-person rule's proposals
    "console": TableDef(
        "console",
        "ConsoleTable",
        "console_table",
        "HIROBA_CONSOLE_TABLE",
        "hiroba-console",
    ),
    # the audit trail: appended to by the console, never updated or deleted (its IAM policy
    # has no UpdateItem or DeleteItem on it; every put is `attribute_not_exists`)
    "audit": TableDef(
        "console",
        "AuditTable",
        "audit_table",
        "HIROBA_AUDIT_TABLE",
        "hiroba-audit",
    ),
}


def ensure_tables(client, settings):
    """Create missing tables and switch TTL on (the local stack and the tests use this)."""
    existing = set(client.list_tables().get("TableNames", []))
    for table in TABLES.values():
        name = table.name(settings)
        if name in existing:
            continue
        client.create_table(**table.create_args(name))
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50}
        )
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
