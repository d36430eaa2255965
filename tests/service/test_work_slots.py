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
    """One slot, two waiting per slot: two requests go towards the slot (working, next), the third waits on
    the event loop and is admitted when one leaves; a fourth, past the bound, is refused at once."""
    slots = _slots(waiting_per_slot=2)

    async def scenario() -> None:
        leave = asyncio.Event()
        admitted: list[str] = []

        async def request(name: str) -> None:
            async with slots.admission():
                admitted.append(name)
                await leave.wait()

        first, second = asyncio.create_task(request("1")), asyncio.create_task(request("2"))
        await asyncio.sleep(0.05)
        third = asyncio.create_task(request("3"))
        await asyncio.sleep(0.05)
        assert admitted == ["1", "2"], "the third waits for its turn, without a thread"
        began = time.monotonic()
        with pytest.raises(Busy):
            async with slots.admission():
                pass
        assert time.monotonic() - began < 0.1, "past the bound: refused at once"
        leave.set()
        await asyncio.gather(first, second, third)
        assert admitted == ["1", "2", "3"]

    asyncio.run(scenario())


def test_a_queued_request_is_refused_after_the_wait() -> None:
    slots = WorkSlots(1, wait_seconds=0.2, busy_message="occupé", waiting_per_slot=4)

    async def scenario() -> None:
        async with slots.admission(), slots.admission():
            began = time.monotonic()
            with pytest.raises(Busy):
                async with slots.admission():
                    pass
            assert 0.15 < time.monotonic() - began < 1.0

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
