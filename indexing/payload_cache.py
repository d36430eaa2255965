"""Payload fields of points, kept in memory by the embedded index that owns them.

Why: asking the engine for payloads with every query cost most of a search (measured with 8 clients
on 2 cores: a 200-candidate dense query took 13 ms with three small fields, 2 ms without), and the
engine holds the interpreter lock meanwhile, so every other request waited. The embedded shard is
opened by one process only and every write goes through its `EdgeIndex`, so that index can keep the
fields it has read and forget them when it writes: queries then ask the engine for ids and scores
only.

Consistency: every write, once done, forgets what it touched and bumps a generation; a read stores
what it fetched only when no write finished meanwhile, so a fetch that raced a write is used once and
never cached. A point id stays the same for the same logical passage, so ids are the cache keys.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

Payload = dict[str, Any]
Fetch = Callable[[list[str], list[str]], dict[str, Payload]]

MAX_ENTRIES = 200_000  # per field set (about 40 MB of small fields at most); then start again
MAX_TEXT_ENTRIES = 5_000  # field sets holding whole passage texts are kept small


class PayloadCache:
    def __init__(self) -> None:
        self._by_fields: dict[tuple[str, ...], dict[str, Payload]] = {}
        self._generation = 0
        self._lock = threading.Lock()  # writers only; readers rely on dict operations being atomic

    def forget(self, point_ids: Iterable[str] | None = None) -> None:
        """After a write: the given points, or every point (writes by filter)."""
        with self._lock:
            self._generation += 1
            if point_ids is None:
                self._by_fields = {}
                return
            ids = list(point_ids)
            for cached in self._by_fields.values():
                for point_id in ids:
                    cached.pop(point_id, None)

    def get(self, point_ids: Sequence[str], fields: Sequence[str], fetch: Fetch) -> dict[str, Payload]:
        """The payloads (only `fields`) of the points that exist; the missing ones come from `fetch`
        (ids, fields) in one call. The returned dicts are shared: never modify them."""
        cached = self._by_fields.get(tuple(fields), {})
        found: dict[str, Payload] = {}
        missing: list[str] = []
        for point_id in point_ids:
            payload = cached.get(point_id)
            if payload is None:
                missing.append(point_id)
            else:
                found[point_id] = payload
        if missing:
            generation = self._generation
            fetched = fetch(missing, list(fields))
            found.update(fetched)
            self.store(fields, fetched, generation, make_room=True)
        return found

    @property
    def generation(self) -> int:
        return self._generation

    def store(
        self, fields: Sequence[str], payloads: dict[str, Payload], generation: int, *, make_room: bool = False
    ) -> bool:
        """Keep `payloads` (read when the generation was `generation`) unless a write finished since.
        When full: start again (`make_room`) or keep nothing and return False."""
        key = tuple(fields)
        limit = MAX_TEXT_ENTRIES if "text" in key else MAX_ENTRIES
        with self._lock:
            if generation != self._generation:
                return True  # stale: not kept, but the caller may go on
            cached = self._by_fields.setdefault(key, {})
            if len(cached) + len(payloads) > limit:
                if not make_room:
                    return False
                cached.clear()
            cached.update(payloads)
        return True
