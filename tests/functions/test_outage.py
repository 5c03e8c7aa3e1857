"""Stopping the DynamoDB server mid-run: 503 with Retry-After, and nothing half-written."""

import json
import time

import pytest

from infra.local.dynamodb import LocalDynamoDB
from infra.local.stack import AppProcess, LocalStack

from .conftest import Api, valid


@pytest.fixture
def fragile(tmp_path, content):
    """Its own DynamoDB server, tables and publishing app, so stopping it disturbs no other
    test (moto keeps tables per process, hence table names of its own)."""
    db = LocalDynamoDB().start()
    tables = {
        "HIROBA_PUBLISHING_TABLE": "outage-publishing",
        "HIROBA_PROCEDURES_TABLE": "outage-procedures",
    }
    stack = LocalStack(tmp_path, dynamodb_endpoint=db.url, content=content, env=tables)
    stack.prepare_tables()
    stack.sync()
    app = AppProcess("publishing", stack.env()).start()
    yield db, Api(app.url), stack
    app.stop()
    db.stop()


def count(stack, prefix):
    settings = stack.settings()
    from hiroba_core.store import dynamo

    client = dynamo.client(settings)
    items = client.query(
        TableName=settings.publishing_table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "CONSULTATION#open-one"}, ":s": {"S": prefix}},
        ConsistentRead=True,
    )["Items"]
    return len(items)


def test_database_outage_is_503_with_retry_after_and_no_partial_writes(fragile):
    db, api, stack = fragile
    assert api.comment("open-one", valid(name="前")).status == 201
    db.stop()
    started = time.monotonic()
    reply = api.comment("open-one", valid(name="停止中"), {"Idempotency-Key": "outage-key-1"})
    assert time.monotonic() - started < 15
    assert reply.status == 503, reply
    assert int(reply.headers["retry-after"]) > 0
    data = json.loads(reply.body)
    assert data["type"].endswith("/unavailable") and "保存されていません" in data["detail"]
    assert "Traceback" not in reply.body.decode()
    health = api.request("GET", "/health")
    assert health.status == 200  # the app itself stays up
    db.start()  # same port, same in-memory data
    assert (count(stack, "COMMENT#"), count(stack, "PERSONAL#")) == (1, 1)
    retried = api.comment("open-one", valid(name="停止中"), {"Idempotency-Key": "outage-key-1"})
    assert retried.status == 201, retried
    assert (count(stack, "COMMENT#"), count(stack, "PERSONAL#")) == (2, 2)
