"""The intake skeleton (hiroba_core/services/intake.py) on its own, against the loopback
DynamoDB server: a kind of submission made up here ("payments", as issue #14 will use it),
so what is proved is the skeleton's, not one service's."""

import itertools
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from hiroba_core.errors import IdempotencyConflict, RateLimited, StoreUnavailable
from hiroba_core.services import intake as intake_module
from hiroba_core.services.intake import ATTEMPTS, Draft, Intake
from hiroba_core.store import dynamo
from hiroba_core.store.publishing import PublishingStore
from hiroba_core.store.uow import Cancelled

from .conftest import settings_for

EPOCH = 1_800_000_000


@pytest.fixture(scope="module")
def store(stack):
    return PublishingStore(settings_for(stack))


def payment_key(number):
    return {"pk": f"INTAKE-TEST#{number}", "sk": "PAYMENT"}


def payments(store, scope, key=None):
    def replay(record):
        return {"number": record["number"], "amount": int(record["amount"])}

    return Intake(store, scope, key, replay, rate_scope=scope, renumber={"payment"})


def drafts(amount, numbers=None):
    """A draft factory drawing numbers from `numbers` (fresh uuids by default)."""
    numbers = numbers if numbers is not None else (uuid.uuid4().hex for _ in itertools.count())
    drawn = []

    def draft():
        number = next(numbers)
        drawn.append(number)
        item = {**payment_key(number), "type": "payment", "amount": amount}
        return Draft(
            (("payment", item),),
            {"number": number, "amount": amount},
            {
                "number": number,
                "amount": amount,
            },
        )

    draft.drawn = drawn
    return draft


def written(store, numbers):
    return [n for n in numbers if store._get(payment_key(n), consistent=True)]


def fresh(prefix):
    return f"{prefix}-{uuid.uuid4().hex}"


def test_concurrent_requests_with_one_key_write_one_record(store):
    scope, key, client = fresh("pay"), fresh("key"), fresh("client")
    barrier = threading.Barrier(12)
    factories = []

    def send(_):
        draft = drafts(400)
        factories.append(draft)
        barrier.wait()
        return payments(store, scope, key).receive("hash-a", draft, client=client, epoch=EPOCH)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(send, range(12)))
    assert sum(not replayed for _, replayed in answers) == 1
    assert len({answer["number"] for answer, _ in answers}) == 1
    every_number = [n for f in factories for n in f.drawn]
    assert written(store, every_number) == [answers[0][0]["number"]]
    record = store.get_idempotency(scope, key)
    assert record["body_hash"] == "hash-a" and record["number"] == answers[0][0]["number"]


def test_a_retry_gets_the_first_answer_and_another_body_is_a_conflict(store):
    scope, key, client = fresh("pay"), fresh("key"), fresh("client")
    first, replayed = payments(store, scope, key).receive(
        "hash-a", drafts(400), client=client, epoch=EPOCH
    )
    assert replayed is False
    again = payments(store, scope, key)
    record = again.earlier()
    assert again.answer_again(record, "hash-a") == first
    assert again.receive("hash-a", drafts(400), client=client, epoch=EPOCH) == (first, True)
    with pytest.raises(IdempotencyConflict):
        again.answer_again(record, "hash-b")
    with pytest.raises(IdempotencyConflict):
        again.receive("hash-b", drafts(800), client=client, epoch=EPOCH)


def test_without_a_key_each_request_is_new_and_nothing_is_remembered(store):
    scope, client = fresh("pay"), fresh("client")
    one = payments(store, scope).receive("h", drafts(400), client=client, epoch=EPOCH)
    two = payments(store, scope).receive("h", drafts(400), client=client, epoch=EPOCH)
    assert one[0]["number"] != two[0]["number"] and not one[1] and not two[1]
    assert payments(store, scope).earlier() is None


def test_a_taken_number_is_drawn_again(store, monkeypatch):
    monkeypatch.setattr(intake_module.time, "sleep", lambda _: None)
    taken = fresh("taken")
    payments(store, fresh("pay")).receive(
        "h", drafts(400, iter([taken])), client=fresh("c"), epoch=EPOCH
    )
    draft = drafts(400, iter([taken, taken, "new-" + taken]))
    answer, replayed = payments(store, fresh("pay"), fresh("key")).receive(
        "h", draft, client=fresh("c"), epoch=EPOCH
    )
    assert answer["number"] == "new-" + taken and not replayed
    assert draft.drawn == [taken, taken, "new-" + taken]


def test_numbers_taken_every_time_end_in_unavailable_with_nothing_written(store, monkeypatch):
    monkeypatch.setattr(intake_module.time, "sleep", lambda _: None)
    taken = fresh("taken")
    payments(store, fresh("pay")).receive(
        "h", drafts(400, iter([taken])), client=fresh("c"), epoch=EPOCH
    )
    scope, key = fresh("pay"), fresh("key")
    draft = drafts(400, itertools.repeat(taken))
    with pytest.raises(StoreUnavailable):
        payments(store, scope, key).receive("h", draft, client=fresh("c"), epoch=EPOCH)
    assert len(draft.drawn) == ATTEMPTS
    assert store.get_idempotency(scope, key) is None


def test_the_rate_counter_refuses_past_the_limit_and_writes_nothing(store):
    scope, client = fresh("pay"), fresh("client")
    limit = store.settings.rate_limit
    for _ in range(limit):
        payments(store, scope).receive("h", drafts(400), client=client, epoch=EPOCH)
    draft = drafts(400)
    with pytest.raises(RateLimited) as refused:
        payments(store, scope, fresh("key")).receive("h", draft, client=client, epoch=EPOCH)
    window = store.settings.rate_window_seconds
    assert refused.value.retry_after == window - EPOCH % window
    assert written(store, draft.drawn) == []
    # another client, or the same one in the next window, is not affected
    payments(store, scope).receive("h", drafts(400), client=fresh("client"), epoch=EPOCH)
    payments(store, scope).receive("h", drafts(400), client=client, epoch=EPOCH + window)


def test_any_other_failed_condition_is_not_hidden(store):
    """A condition that is not the intake's nor a number's is a bug: Cancelled, not a retry."""
    existing = fresh("existing")
    dynamo_client = store.client
    dynamo_client.put_item(
        TableName=store.table, Item=dynamo.to_item({**payment_key(existing), "type": "x"})
    )

    def draft():
        item = {**payment_key(existing), "type": "payment"}
        return Draft((("ledger", item),), {}, None)

    with pytest.raises(Cancelled) as cancelled:
        payments(store, fresh("pay")).receive("h", draft, client=fresh("c"), epoch=EPOCH)
    assert cancelled.value.failed == {"ledger"}


def test_a_malformed_key_is_refused_before_anything_is_read():
    from hiroba_core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        Intake(None, "pay", "short", lambda r: r)
