"""Bounded work slots: query embeddings let a short queue wait its turn (a burst of real users is
served), password checks admit nobody past the free slots; past the bound, 429 at once."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from service.ratelimit.slots import Busy, WorkSlots


def _slots(waiting_per_slot: int | None) -> WorkSlots:
    return WorkSlots(1, wait_seconds=2.0, busy_message="occupé", waiting_per_slot=waiting_per_slot)


def test_query_slots_admit_a_bounded_queue_and_refuse_past_it() -> None:
    slots = _slots(waiting_per_slot=2)

    async def scenario() -> None:
        async with slots.admission(), slots.admission(), slots.admission():
            with pytest.raises(Busy):
                async with slots.admission():
                    pass
        async with slots.admission():  # the queue drained: admitted again
            pass

    asyncio.run(scenario())


def test_a_waiting_caller_gets_the_slot_when_it_is_released() -> None:
    slots = _slots(waiting_per_slot=2)
    got_it = threading.Event()

    def waiter() -> None:
        with slots.hold():
            got_it.set()

    with slots.hold():
        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.1)
        assert not got_it.is_set(), "only one slot: the second caller waits"
    thread.join(timeout=5)
    assert got_it.is_set()


def test_password_slots_admit_nobody_while_every_slot_is_taken() -> None:
    slots = _slots(waiting_per_slot=None)

    async def scenario() -> None:
        with slots.hold(), pytest.raises(Busy):
            async with slots.admission():
                pass

    asyncio.run(scenario())
