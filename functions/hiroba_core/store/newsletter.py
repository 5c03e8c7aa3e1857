"""The newsletter's items in the publishing table, mapped by hand, written with conditions.

SUBSCRIBER#<sid>   SUBSCRIBER   address, preferences, status, version; gsi1pk=SUBSCRIBERS
                                only while confirmed (a sparse index: the mailing list);
                                unsubscribed: no address, deleted by TTL (expires_at);
                                suppressed: no address, no TTL (never mailed again)
ISSUE#<issue>      SEND#<sid>   one send: sending | sent | failed (natural key, TTL)

<sid> is tokens.subscriber_id(address): no address appears in a key or an index.
"""

import time

import botocore.exceptions

from ..domain.subscription import (
    SEND_TRANSITIONS,
    Preferences,
    SendStatus,
    Subscriber,
    SubscriberStatus,
    check,
)
from ..errors import StoreUnavailable
from . import dynamo, mapping
from .tables import TABLES
from .uow import Cancelled, UnitOfWork

LIST_KEY = "SUBSCRIBERS"
SEND_TTL_DAYS = 400  # a send record outlives the weekly and yearly re-runs of an issue


def subscriber_key(sid):
    return {"pk": f"SUBSCRIBER#{sid}", "sk": "SUBSCRIBER"}


def send_key(issue_id, sid):
    return {"pk": f"ISSUE#{issue_id}", "sk": f"SEND#{sid}"}


def subscriber_from_item(item):
    prefs = item.get("preferences") or {}
    return Subscriber(
        id=item["pk"].split("#", 1)[1],
        email=item.get("email"),
        preferences=Preferences(
            tuple(prefs.get("topics", ())),
            prefs.get("frequency", "weekly"),
            prefs.get("lang", "ja"),
        ),
        status=SubscriberStatus(item["status"]),
        version=int(item.get("version", 1)),
    )


def _failed(error):
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class NewsletterStore:
    def __init__(self, settings):
        self.settings = settings
        self.client = dynamo.client(settings)
        self.table = TABLES["publishing"].name(settings)

    def _update(self, key, expression, condition=None, values=None, names=None):
        """True when written, False when the condition did not hold."""
        args = {
            "TableName": self.table,
            "Key": dynamo.to_item(key),
            "UpdateExpression": expression,
            **dynamo.conditions(condition, values, names),
        }
        try:
            with dynamo.unavailable_on_failure():
                self.client.update_item(**args)
        except botocore.exceptions.ClientError as error:
            if _failed(error):
                return False
            raise
        return True

    def count_subscription(self, client_hash, address_hash, now_epoch):
        """Count one subscription request against the client and against the address, in
        one transaction: the seconds until the window ends when a limit is reached, else
        None. Counters hold keyed hashes only and expire by TTL."""
        settings = self.settings
        window = settings.rate_window_seconds
        for attempt in range(4):
            with UnitOfWork(self.client, self.table) as uow:
                retry_after = mapping.count_request(
                    uow,
                    client_hash,
                    now_epoch,
                    settings.subscribe_client_limit,
                    window,
                    scope="subscribe",
                    label="client",
                )
                mapping.count_request(
                    uow,
                    address_hash,
                    now_epoch,
                    settings.address_mail_limit,
                    window,
                    scope="subscribe-address",
                    label="address",
                )
                try:
                    uow.commit()
                    return None
                except Cancelled as cancelled:
                    if cancelled.failed:
                        return retry_after
                    time.sleep(0.02 * (attempt + 1))  # the same counter, at the same moment
        raise StoreUnavailable()

    # ------------------------------------------------------------ subscribers

    def get_subscriber(self, sid):
        with dynamo.unavailable_on_failure():
            item = self.client.get_item(
                TableName=self.table, Key=dynamo.to_item(subscriber_key(sid)), ConsistentRead=True
            ).get("Item")
        return subscriber_from_item(dynamo.from_item(item)) if item else None

    def confirm(self, sid, email, preferences, now_iso):
        """none/unsubscribed/confirmed -> confirmed. False when the address is suppressed."""
        return self._update(
            subscriber_key(sid),
            "SET email = :e, preferences = :p, #s = :c, confirmed_at = :t, gsi1pk = :l,"
            " gsi1sk = :sid, #t = :type ADD version :one REMOVE expires_at",
            condition="attribute_not_exists(pk) OR #s <> :suppressed",
            values={
                ":e": email,
                ":p": preferences.as_dict(),
                ":c": SubscriberStatus.CONFIRMED.value,
                ":t": now_iso,
                ":l": LIST_KEY,
                ":sid": sid,
                ":type": "subscriber",
                ":one": 1,
                ":suppressed": SubscriberStatus.SUPPRESSED.value,
            },
            names={"#s": "status", "#t": "type"},
        )

    def update_preferences(self, sid, preferences):
        """confirmed -> confirmed with new preferences; False when not confirmed."""
        return self._update(
            subscriber_key(sid),
            "SET preferences = :p ADD version :one",
            condition="#s = :c",
            values={":p": preferences.as_dict(), ":c": "confirmed", ":one": 1},
            names={"#s": "status"},
        )

    def unsubscribe(self, sid, expires_at):
        """confirmed -> unsubscribed: the address is removed now, the record by TTL.
        False (nothing to do) when not confirmed: unsubscribing twice is not an error."""
        return self._update(
            subscriber_key(sid),
            "SET #s = :u, expires_at = :x ADD version :one REMOVE email, gsi1pk, gsi1sk",
            condition="#s = :c",
            values={":u": "unsubscribed", ":c": "confirmed", ":x": int(expires_at), ":one": 1},
            names={"#s": "status"},
        )

    def suppress(self, sid, reason, now_iso):
        """any -> suppressed, for every list: no address, no TTL, off the mailing list."""
        return self._update(
            subscriber_key(sid),
            "SET #s = :s, suppressed_reason = :r, suppressed_at = :t, #t = :type"
            " ADD version :one REMOVE email, gsi1pk, gsi1sk, expires_at",
            values={
                ":s": "suppressed",
                ":r": reason,
                ":t": now_iso,
                ":type": "subscriber",
                ":one": 1,
            },
            names={"#s": "status", "#t": "type"},
        )

    def confirmed_subscribers(self):
        """The mailing list (the sparse index), in key order: Query, never Scan."""
        found, start = [], None
        while True:
            args = {
                "TableName": self.table,
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :l",
                "ExpressionAttributeValues": dynamo.to_values({":l": LIST_KEY}),
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dynamo.unavailable_on_failure():
                page = self.client.query(**args)
            found += [subscriber_from_item(dynamo.from_item(i)) for i in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    # ------------------------------------------------------------ sends

    def sends(self, issue_id):
        """sid -> SendStatus of every recorded send of an issue (strongly consistent)."""
        found, start = {}, None
        while True:
            args = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
                "ExpressionAttributeValues": dynamo.to_values(
                    {":p": f"ISSUE#{issue_id}", ":s": "SEND#"}
                ),
                "ConsistentRead": True,
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dynamo.unavailable_on_failure():
                page = self.client.query(**args)
            for item in page.get("Items", []):
                data = dynamo.from_item(item)
                found[data["sk"].split("#", 1)[1]] = SendStatus(data["status"])
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def claim(self, issue_id, sid, now_epoch):
        """(none) -> sending, written before the transport is called. False: already claimed."""
        check(None, SendStatus.SENDING, SEND_TRANSITIONS)
        item = {
            **send_key(issue_id, sid),
            "type": "send",
            "status": SendStatus.SENDING.value,
            "claimed_at": int(now_epoch),
            "expires_at": int(now_epoch) + SEND_TTL_DAYS * 86400,
        }
        try:
            with dynamo.unavailable_on_failure():
                self.client.put_item(
                    TableName=self.table,
                    Item=dynamo.to_item(item),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except botocore.exceptions.ClientError as error:
            if _failed(error):
                return False
            raise
        return True

    def finish(self, issue_id, sid, status, now_epoch):
        """sending -> sent | failed."""
        check(SendStatus.SENDING, status, SEND_TRANSITIONS)
        return self._update(
            send_key(issue_id, sid),
            "SET #s = :n, finished_at = :t",
            condition="#s = :sending",
            values={":n": status.value, ":t": int(now_epoch), ":sending": "sending"},
            names={"#s": "status"},
        )

    def release(self, issue_id, sid):
        """sending -> (none): the transport surely did not take it; a later run retries."""
        check(SendStatus.SENDING, None, SEND_TRANSITIONS)
        try:
            with dynamo.unavailable_on_failure():
                self.client.delete_item(
                    TableName=self.table,
                    Key=dynamo.to_item(send_key(issue_id, sid)),
                    ConditionExpression="#s = :sending",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues=dynamo.to_values({":sending": "sending"}),
                )
        except botocore.exceptions.ClientError as error:
            if not _failed(error):
                raise
