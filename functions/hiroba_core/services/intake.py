"""The intake every resident's submission goes through: a comment, an application, and
(issue #14) a payment's create. Exactly one record per Idempotency-Key, however often and
however concurrently the request is sent.

    intake = Intake(store, scope, idempotency_key, replay)   # the key's format is checked
    record = intake.earlier()             # a retry: answer as the first time did …
    if record:
        return intake.answer_again(record, digest), True   # … or 409 for another body
    …                                    # checks that only a new request must pass
    return intake.receive(digest, draft, client=client, epoch=epoch)

`receive` writes, in ONE transaction, the draft's items (each only if its key is new), the
Idempotency-Key record (`IDEMPOTENCY#<scope>#<sha256 of the key>`: the body hash and what a
replay needs, TTL 24 h) and one more on the client's rate counter. When the transaction is
cancelled:

- the key's record exists (or another request raced for it): the first answer, or 409
  IdempotencyConflict when the body hash differs (read the record, never guess);
- the rate counter is full: RateLimited with the seconds until the window ends;
- a number drawn for the draft was taken (a label in `renumber`): a new draft, new numbers,
  up to ATTEMPTS times, then StoreUnavailable (nothing was written);
- any other condition: the Cancelled itself (a bug, not the resident's doing).
"""

import time
from dataclasses import dataclass

from .. import tokens
from ..errors import IdempotencyConflict, RateLimited, StoreUnavailable
from ..store import mapping
from ..store.uow import Cancelled
from ..validation import check_idempotency_key

IDEMPOTENCY_TTL = 24 * 3600
ATTEMPTS = 8
IDEMPOTENCY, RATE = "idempotency", "rate"  # the labels of the intake's own writes


@dataclass(frozen=True)
class Draft:
    """One attempt at the new record, with numbers drawn afresh for each attempt."""

    items: tuple  # (label, item) pairs, each written only if no item has its key
    remembered: dict  # what a replay needs, kept in the Idempotency-Key record
    answer: object  # what the resident is told when it is written


class Intake:
    """How one kind of submission is received.

    scope: the Idempotency-Key records' namespace (a consultation, "applications" …);
    replay: record -> the first answer again; rate_scope: the client's counter (None is
    the comments' own, for compatibility); renumber: the draft's labels whose failed
    condition means "that number is taken, draw another"."""

    def __init__(self, store, scope, idempotency_key, replay, *, rate_scope=None, renumber=()):
        check_idempotency_key(idempotency_key)
        self.store, self.scope, self.key = store, scope, idempotency_key
        self.replay, self.rate_scope = replay, rate_scope
        self.renumber = frozenset(renumber)

    def earlier(self):
        """The record of an earlier request with this Idempotency-Key, or None."""
        return self.store.get_idempotency(self.scope, self.key) if self.key else None

    def answer_again(self, record, digest):
        """The first answer, for the same body only (IdempotencyConflict otherwise)."""
        if record["body_hash"] != digest:
            raise IdempotencyConflict()
        return self.replay(record)

    def receive(self, digest, draft, *, client, epoch):
        """Write a new draft(): (answer, replayed). See the module's docstring."""
        settings = self.store.settings
        client_hash = tokens.client_hash(settings.secret, client)
        for attempt in range(ATTEMPTS):
            new = draft()
            with self.store.uow() as uow:
                for label, item in new.items:
                    uow.put_new(item, label=label)
                if self.key:
                    record = mapping.idempotency_to_item(
                        self.scope, self.key, digest, new.remembered, epoch + IDEMPOTENCY_TTL
                    )
                    uow.put_new(record, label=IDEMPOTENCY)
                retry_after = mapping.count_request(
                    uow,
                    client_hash,
                    epoch,
                    settings.rate_limit,
                    settings.rate_window_seconds,
                    scope=self.rate_scope,
                    label=RATE,
                )
                try:
                    uow.commit()
                except Cancelled as cancelled:
                    if self.key and (IDEMPOTENCY in cancelled.failed or cancelled.conflict):
                        record = self.earlier()
                        if record:
                            return self.answer_again(record, digest), True
                    if RATE in cancelled.failed:
                        raise RateLimited(retry_after) from None
                    if cancelled.failed - self.renumber:
                        raise
                    time.sleep(0.02 * attempt)  # a number taken, or a conflict
                    continue
            return new.answer, False
        raise StoreUnavailable()
