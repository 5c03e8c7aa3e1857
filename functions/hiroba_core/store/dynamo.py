"""The one place that connects to DynamoDB: endpoint from DYNAMODB_ENDPOINT, short timeouts.

Clients are built once per process (per Lambda container) and reused. boto3 is imported
when the first client is made: the Lambda runtime provides it, and the apps import (and
answer /health) without it.
"""

import os
from contextlib import contextmanager
from functools import lru_cache

import botocore.exceptions
from botocore.config import Config

from ..errors import StoreUnavailable

_clients = {}
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"max_attempts": 2, "mode": "standard"},
)
# The local server (moto) answers one request at a time and ignores ClientRequestToken, so
# on a loaded machine a transaction that outlived 5 s was retried by botocore after it had
# committed, and its first answer became a replay: wait for it instead.
_LOCAL_CONFIG = _CONFIG.merge(Config(read_timeout=60))


@lru_cache(maxsize=1)
def _types():
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


# Server-side conditions that mean "try again later", never "your input is wrong".
_TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "ResourceNotFoundException",  # a table that is not there yet (deploy in progress)
}


def client(settings):
    key = (settings.dynamodb_endpoint, settings.region)
    if key not in _clients:
        import boto3

        options = {"region_name": settings.region, "config": _CONFIG}
        if settings.dynamodb_endpoint:
            options.update(endpoint_url=settings.dynamodb_endpoint, config=_LOCAL_CONFIG)
            if not os.environ.get("AWS_ACCESS_KEY_ID"):
                # The local server accepts any credentials; never real ones.
                options.update(aws_access_key_id="local", aws_secret_access_key="local")
        _clients[key] = boto3.client("dynamodb", **options)
    return _clients[key]


def to_item(data):
    serialize = _types()[0].serialize
    return {k: serialize(v) for k, v in data.items() if v is not None}


def from_item(item):
    deserialize = _types()[1].deserialize
    return {k: deserialize(v) for k, v in item.items()}


def conditions(condition=None, values=None, names=None):
    """The ConditionExpression part of a write request, leaving out what is not given."""
    parts = {}
    if condition:
        parts["ConditionExpression"] = condition
    if values:
        parts["ExpressionAttributeValues"] = to_values(values)
    if names:
        parts["ExpressionAttributeNames"] = names
    return parts


def to_values(values):
    serialize = _types()[0].serialize
    return {k: serialize(v) for k, v in values.items()}


@contextmanager
def unavailable_on_failure():
    """Connection failures and throttling become StoreUnavailable (HTTP 503)."""
    try:
        yield
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as error:
        raise StoreUnavailable() from error
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in _TRANSIENT_CODES:
            raise StoreUnavailable() from error
        raise
