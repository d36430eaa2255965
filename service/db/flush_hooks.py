"""Attaching the write hooks (index jobs, partners' sync, webhook deliveries) to a session factory: once
per factory and hook set, with the per-transaction memory a hook keeps in `session.info` forgotten after
a commit or any rollback (a savepoint's too: what it wrote is gone), so the next transaction starts
afresh."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

Listener = Callable[..., Any]

# Hook sets already attached, per factory. Not `event.contains`: SQLAlchemy keys its registry by id() of
# the target, and a new factory may get the id of a garbage-collected one whose entry lingers, so
# `contains` said yes for a factory that had no hook (seen in the full suite: writes queued nothing).
_ATTACHED: weakref.WeakKeyDictionary[sessionmaker[Session], set[str]] = weakref.WeakKeyDictionary()


def attach_once(
    factory: sessionmaker[Session],
    name: str,
    listeners: dict[str, Listener],
    *,
    memory: str | None = None,
) -> None:
    """Listen to `listeners` (SQLAlchemy session event -> function) on every session `factory` makes,
    unless the set `name` is already attached; `memory`: the `session.info` key this set keeps for the
    current transaction only."""
    attached = _ATTACHED.setdefault(factory, set())
    if name in attached:
        return
    for event_name, listener in listeners.items():
        event.listen(factory, event_name, listener)
    if memory is not None:

        def forget(session: Session, *_: Any) -> None:
            session.info.pop(memory, None)

        event.listen(factory, "after_commit", forget)
        event.listen(factory, "after_soft_rollback", forget)
    attached.add(name)
