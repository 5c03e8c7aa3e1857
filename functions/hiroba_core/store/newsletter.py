"""The newsletter's items in the publishing table, mapped by hand, written with conditions.

SUBSCRIBER#<sid>   SUBSCRIBER   address, preferences, status, version; gsi1pk=SUBSCRIBERS
                                only while confirmed (a sparse index: the mailing list);
                                unsubscribed: no address, deleted by TTL (expires_at);
                                suppressed: no address, no TTL (never mailed again);
                                gsi1pk=SUPPRESSED / <at>#<sid> (the console's list)
ISSUE#<issue>      SEND#<sid>   one send: sending | sent | failed (natural key, TTL)
ISSUE#<issue>      BLOCK#<n>    one block of sends: sending | done; `hi`, the key its range
                                ends before (block n covers block n-1's hi up to its own;
                                none: the last, open-ended); `sends`, its members' sends
                                (sid -> sending | sent | failed); claimed with
                                attribute_not_exists (the block's natural key, TTL)
ISSUE#<issue>      STARTED      who sent the issue from the console, when (natural key, TTL)

<sid> is tokens.subscriber_id(address): no address appears in a key or an index.

Every change of state is one of the domain's TRANSITIONS (require_transition) and is
written through the unit of work with a condition on the old state, derived from the same
TRANSITIONS: a change whose old state no longer holds writes nothing and answers False.
"""

import time
from dataclasses import dataclass

from ..domain.subscription import (
    BLOCK_TRANSITIONS,
    SEND_TRANSITIONS,
    TRANSITIONS,
    BlockStatus,
    Preferences,
    SendStatus,
    Subscriber,
    SubscriberStatus,
)
from ..domain.transitions import require_transition, sources
from ..errors import StoreUnavailable
from . import mapping
from .base import TableStore, serialize
from .uow import Cancelled

LIST_KEY = "SUBSCRIBERS"
SUPPRESSED_KEY = "SUPPRESSED"
SEND_TTL_DAYS = 400  # a send record outlives the weekly and yearly re-runs of an issue
CHANGE = "change"  # the label of a state change in its unit of work


def subscriber_key(sid):
    return {"pk": f"SUBSCRIBER#{sid}", "sk": "SUBSCRIBER"}


def send_key(issue_id, sid):
    return {"pk": f"ISSUE#{issue_id}", "sk": f"SEND#{sid}"}


def block_key(issue_id, number):
    return {"pk": f"ISSUE#{issue_id}", "sk": f"BLOCK#{number:06d}"}


@dataclass(frozen=True)
class Block:
    status: BlockStatus
    hi: str | None  # its range ends before this key; None: the last block, open-ended
    members: dict  # sid -> SendStatus


def block_from_item(item):
    members = {sid: SendStatus(s) for sid, s in item["sends"].items()}
    return Block(BlockStatus(item["status"]), item.get("hi"), members)


@dataclass(frozen=True)
class SendRecords:
    """What is recorded of an issue's sends: `sends` (sid -> SendStatus, from the blocks'
    members and the single sends; a single send is written later, so it wins) and
    `blocks` (number -> Block)."""

    sends: dict
    blocks: dict


def issue_started_key(issue_id):
    return {"pk": f"ISSUE#{issue_id}", "sk": "STARTED"}


def issue_started_item(issue_id, by, at, now_epoch):
    """The marker of an issue's send from the console, written with attribute_not_exists
    (with its audit entry, in one transaction): the second press of the button finds it."""
    return {
        **issue_started_key(issue_id),
        "type": "issue-send",
        "by": by,
        "at": at,
        "expires_at": int(now_epoch) + SEND_TTL_DAYS * 86400,
    }


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


def from_states(allowed, olds, new):
    """The condition that the item is in one of `olds` (None: no item yet), after checking
    that each (old, new) is allowed: (ConditionExpression, values). The state is `#s`."""
    for old in olds:
        require_transition(allowed, old, new)
    named = sorted(o.value for o in olds if o is not None)
    values = {f":from{i}": value for i, value in enumerate(named)}
    parts = ["attribute_not_exists(pk)"] if None in olds else []
    if named:
        parts.append(f"#s IN ({', '.join(values)})")
    return " OR ".join(parts), values


class NewsletterStore(TableStore):
    app = "publishing"

    def _change(self, key, allowed, olds, new, expression, values=None, names=None):
        """Write one change of state to `new` from any of `olds` (each checked against
        `allowed`): True when written, False when the item is in none of `olds`."""
        condition, olds_values = from_states(allowed, olds, new)
        for attempt in range(4):
            with self.uow() as uow:
                if new is None:
                    uow.delete(
                        key,
                        condition=condition,
                        values=olds_values,
                        names={"#s": "status"},
                        label=CHANGE,
                    )
                else:
                    uow.update(
                        key,
                        expression,
                        condition=condition,
                        values={**(values or {}), **olds_values},
                        names={"#s": "status", **(names or {})},
                        label=CHANGE,
                    )
                try:
                    uow.commit()
                    return True
                except Cancelled as cancelled:
                    if CHANGE in cancelled.failed:
                        return False
                    time.sleep(0.02 * (attempt + 1))  # another writer of this item at once
        raise StoreUnavailable()

    def count_subscription(self, client_hash, address_hash, now_epoch):
        """Count one subscription request against the client and against the address, in
        one transaction: the seconds until the window ends when a limit is reached, else
        None. Counters hold keyed hashes only and expire by TTL."""
        settings = self.settings
        window = settings.rate_window_seconds
        for attempt in range(4):
            with self.uow() as uow:
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
        item = self._get(subscriber_key(sid), consistent=True)
        return subscriber_from_item(item) if item else None

    def _subscriber_change(self, sid, new, expression, values, olds=None, names=None):
        olds = sources(TRANSITIONS, new) if olds is None else olds
        return self._change(subscriber_key(sid), TRANSITIONS, olds, new, expression, values, names)

    def confirm(self, sid, email, preferences, now_iso):
        """none/unsubscribed/confirmed -> confirmed. False when the address is suppressed."""
        return self._subscriber_change(
            sid,
            SubscriberStatus.CONFIRMED,
            "SET email = :e, preferences = :p, #s = :c, confirmed_at = :t, gsi1pk = :l,"
            " gsi1sk = :sid, #t = :type ADD version :one REMOVE expires_at",
            {
                ":e": email,
                ":p": preferences.as_dict(),
                ":c": SubscriberStatus.CONFIRMED.value,
                ":t": now_iso,
                ":l": LIST_KEY,
                ":sid": sid,
                ":type": "subscriber",
                ":one": 1,
            },
            names={"#t": "type"},
        )

    def update_preferences(self, sid, preferences):
        """confirmed -> confirmed with new preferences; False when not confirmed."""
        return self._subscriber_change(
            sid,
            SubscriberStatus.CONFIRMED,
            "SET preferences = :p ADD version :one",
            {":p": preferences.as_dict(), ":one": 1},
            olds={SubscriberStatus.CONFIRMED},
        )

    def unsubscribe(self, sid, expires_at):
        """confirmed -> unsubscribed: the address is removed now, the record by TTL.
        False (nothing to do) when not confirmed: unsubscribing twice is not an error."""
        return self._subscriber_change(
            sid,
            SubscriberStatus.UNSUBSCRIBED,
            "SET #s = :u, expires_at = :x ADD version :one REMOVE email, gsi1pk, gsi1sk",
            {":u": SubscriberStatus.UNSUBSCRIBED.value, ":x": int(expires_at), ":one": 1},
        )

    def suppress(self, sid, reason, now_iso):
        """any -> suppressed, for every list: no address, no TTL, off the mailing list."""
        return self._subscriber_change(
            sid,
            SubscriberStatus.SUPPRESSED,
            "SET #s = :s, suppressed_reason = :r, suppressed_at = :t, #t = :type,"
            " gsi1pk = :l, gsi1sk = :at ADD version :one REMOVE email, expires_at",
            {
                ":s": SubscriberStatus.SUPPRESSED.value,
                ":r": reason,
                ":t": now_iso,
                ":type": "subscriber",
                ":one": 1,
                ":l": SUPPRESSED_KEY,
                ":at": f"{now_iso}#{sid}",
            },
            names={"#t": "type"},
        )

    def confirmed_subscribers(self):
        """The mailing list (the sparse index), in key order: Query, never Scan."""
        return [s for page in self.confirmed_subscriber_pages() for s in page]

    def confirmed_subscriber_pages(self, for_sending=False):
        """The mailing list a page at a time (up to 1 MB each), in key order (the index's
        sort key is the subscriber's key): a sender starts on the first page. For sending,
        only what a send needs (less to read: the list is most of a run's reading)."""
        projection = {}
        if for_sending:
            projection = {
                "ProjectionExpression": "pk, email, preferences.topics, preferences.frequency, #s",
                "ExpressionAttributeNames": {"#s": "status"},
            }
        for page in self._query_pages(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :l",
            ExpressionAttributeValues={":l": serialize(LIST_KEY)},
            **projection,
        ):
            yield [subscriber_from_item(i) for i in page]

    def suppressed(self):
        """(suppressed_at, reason) of every suppressed address, newest first: no address
        is left to show (the sparse index's other list)."""
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :l",
            ExpressionAttributeValues={":l": serialize(SUPPRESSED_KEY)},
            ScanIndexForward=False,
        )
        return [(i.get("suppressed_at", ""), i.get("suppressed_reason", "")) for i in items]

    # ------------------------------------------------------------ sends

    def issue_started(self, issue_id):
        """The console's marker of an issue's send (issue_started_item), or None."""
        return self._get(issue_started_key(issue_id), consistent=True)

    def sends(self, issue_id):
        """sid -> SendStatus of every recorded send of an issue (strongly consistent)."""
        return self.send_records(issue_id).sends

    def send_records(self, issue_id):
        """The issue's blocks and sends in one strongly consistent Query."""
        items = self._query(
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": serialize(f"ISSUE#{issue_id}")},
            ConsistentRead=True,
        )
        members, singles, blocks = {}, {}, {}
        for item in items:
            kind, _, rest = item["sk"].partition("#")
            if kind == "SEND":
                singles[rest] = SendStatus(item["status"])
            elif kind == "BLOCK":
                blocks[int(rest)] = block = block_from_item(item)
                members.update(block.members)
        return SendRecords({**members, **singles}, blocks)

    def claim_block(self, issue_id, number, hi, sids, now_epoch):
        """(none) -> sending for block `number`, its range ending before `hi` (None: open),
        and in the same write each of `sids` (its members) -> sending. False: another
        sender claimed the block first."""
        expression = "SET #t = :type, #s = :sending, sends = :m, claimed_at = :c, expires_at = :x"
        values = {
            ":type": "send-block",
            ":sending": BlockStatus.SENDING.value,
            ":m": {sid: SendStatus.SENDING.value for sid in sids},
            ":c": int(now_epoch),
            ":x": int(now_epoch) + SEND_TTL_DAYS * 86400,
        }
        if hi is not None:
            expression += ", hi = :hi"
            values[":hi"] = hi
        return self._change(
            block_key(issue_id, number),
            BLOCK_TRANSITIONS,
            {None},
            BlockStatus.SENDING,
            expression,
            values,
            names={"#t": "type"},
        )

    def block(self, issue_id, number):
        """A claimed block (strongly consistent), or None."""
        item = self._get(block_key(issue_id, number), consistent=True)
        return block_from_item(item) if item else None

    def finish_block(self, issue_id, number, outcomes, now_epoch):
        """sending -> done: each member's send is recorded as in `outcomes` (sid -> sent |
        failed | sending, the last when the transport may have taken it); a member left
        out was surely not taken and is released (a later run claims it on its own).
        One write per block; False when the block was not ours to finish."""
        for status in outcomes.values():
            if status != SendStatus.SENDING:
                require_transition(SEND_TRANSITIONS, SendStatus.SENDING, status)
        return self._change(
            block_key(issue_id, number),
            BLOCK_TRANSITIONS,
            {BlockStatus.SENDING},
            BlockStatus.DONE,
            "SET #s = :done, sends = :m, finished_at = :t",
            {
                ":done": BlockStatus.DONE.value,
                ":m": {sid: status.value for sid, status in outcomes.items()},
                ":t": int(now_epoch),
            },
        )

    def claim(self, issue_id, sid, now_epoch):
        """(none) -> sending, written before the transport is called. False: already claimed."""
        return self._change(
            send_key(issue_id, sid),
            SEND_TRANSITIONS,
            {None},
            SendStatus.SENDING,
            "SET #t = :type, #s = :sending, claimed_at = :c, expires_at = :x",
            {
                ":type": "send",
                ":sending": SendStatus.SENDING.value,
                ":c": int(now_epoch),
                ":x": int(now_epoch) + SEND_TTL_DAYS * 86400,
            },
            names={"#t": "type"},
        )

    def finish(self, issue_id, sid, status, now_epoch):
        """sending -> sent | failed."""
        return self._change(
            send_key(issue_id, sid),
            SEND_TRANSITIONS,
            {SendStatus.SENDING},
            status,
            "SET #s = :n, finished_at = :t",
            {":n": status.value, ":t": int(now_epoch)},
        )

    def release(self, issue_id, sid):
        """sending -> (none): the transport surely did not take it; a later run retries."""
        self._change(send_key(issue_id, sid), SEND_TRANSITIONS, {SendStatus.SENDING}, None, "")
