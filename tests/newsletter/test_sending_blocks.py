"""The sender's blocks without the stack: their size, the chain of ranges, the list read
ahead (the store's side is in test_subscriptions.py and test_subscriber_states.py)."""

import pytest

from hiroba_core.errors import StoreUnavailable
from hiroba_core.services import sending
from hiroba_core.store.newsletter import Block


def test_a_block_is_a_hundred_unpaced_and_a_second_of_sends_paced():
    assert sending.block_size(0) == sending.BLOCK_SIZE == 100
    assert sending.block_size(14) == 14  # SES's default quota: a second's sends
    assert sending.block_size(0.5) == 1
    assert sending.block_size(5000) == 100


def test_the_chain_covers_up_to_its_last_range_then_everything_once_closed():
    chain = sending.Chain({0: Block("done", "b", {}), 1: Block("sending", "d", {})})
    assert chain.covers("a") and chain.covers("c") and not chain.covers("d")
    assert not sending.Chain({}).covers("a")  # nothing claimed yet
    chain.add(None)  # the last block: open-ended
    assert chain.covers("z") and chain.closed


def test_the_list_read_ahead_keeps_the_order_and_raises_the_reads_error():
    def pages():
        yield [1, 2]
        yield [3]
        raise StoreUnavailable()

    seen = []
    with pytest.raises(StoreUnavailable):
        for item in sending.prefetched(pages()):
            seen.append(item)
    assert seen == [1, 2, 3]
    assert list(sending.prefetched(iter([[1], [], [2, 3]]))) == [1, 2, 3]
