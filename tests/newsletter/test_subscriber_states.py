"""The store writes only the subscriber and send transitions the domain lists
(domain/subscription.py TRANSITIONS, SEND_TRANSITIONS), each with a condition on the old
state: an illegal change writes nothing, against the loopback DynamoDB server."""

import uuid

from hiroba_core.domain.subscription import Preferences, SendStatus, SubscriberStatus

PREFS = Preferences(("bousai",), "weekly", "ja")
NOW = "2026-12-03T00:00:00+00:00"


def fresh():
    return "test-" + uuid.uuid4().hex


def status(store, sid):
    found = store.get_subscriber(sid)
    return found.status if found else None


def test_an_illegal_subscriber_transition_writes_nothing(store):
    sid = fresh()
    # (none) -> unsubscribed and (none) -> confirmed (preferences) are not transitions
    assert store.unsubscribe(sid, 2_000_000_000) is False
    assert store.update_preferences(sid, PREFS) is False
    assert store.get_subscriber(sid) is None
    assert store.confirm(sid, "a@example.jp", PREFS, NOW) is True
    assert store.unsubscribe(sid, 2_000_000_000) is True
    # unsubscribed -> unsubscribed and unsubscribed -> confirmed (preferences) are refused
    assert store.unsubscribe(sid, 2_000_000_000) is False
    assert store.update_preferences(sid, PREFS) is False
    assert status(store, sid) == SubscriberStatus.UNSUBSCRIBED
    assert store.suppress(sid, "bounce", NOW) is True
    # suppressed is final: no confirmation, preference or unsubscribe changes it
    assert store.confirm(sid, "a@example.jp", PREFS, NOW) is False
    assert store.update_preferences(sid, PREFS) is False
    assert store.unsubscribe(sid, 2_000_000_000) is False
    subscriber = store.get_subscriber(sid)
    assert subscriber.status == SubscriberStatus.SUPPRESSED and subscriber.email is None
    assert store.suppress(sid, "complaint", NOW) is True  # suppressed -> suppressed
    assert sid not in {s.id for s in store.confirmed_subscribers()}


def test_a_send_moves_only_along_its_transitions(store):
    issue, sid = fresh(), fresh()
    assert store.finish(issue, sid, SendStatus.SENT, 1) is False  # (none) -> sent
    assert store.claim(issue, sid, 1) is True
    assert store.claim(issue, sid, 1) is False  # claimed once only
    assert store.sends(issue) == {sid: SendStatus.SENDING}
    store.release(issue, sid)
    assert store.sends(issue) == {}
    assert store.claim(issue, sid, 1) is True
    assert store.finish(issue, sid, SendStatus.SENT, 2) is True
    assert store.finish(issue, sid, SendStatus.FAILED, 3) is False  # sent is final
    store.release(issue, sid)  # not sending: nothing is deleted
    assert store.sends(issue) == {sid: SendStatus.SENT}
