"""Small in-memory caches of what every search shows but rarely changes: themes and territory names.

One cache per database engine (tests open many databases in one process). A flush that adds, changes or
deletes a Theme or a Territory clears the cache of its engine; entries also expire after `TTL_SECONDS`,
for writes made by another process (seeds, a second app worker) or by bulk statements.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from service.territories.models import Territory
from service.themes.models import Theme

TTL_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class ThemeLabel:
    id: int
    slug: str
    label: str
    description: str


class _EngineLabels:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded_at = 0.0
        self.themes: dict[int, ThemeLabel] | None = None
        self.territory_names: dict[str, str] = {}

    def clear(self) -> None:
        with self.lock:
            self.themes = None
            self.territory_names = {}
            self.loaded_at = time.monotonic()

    def expire_if_old(self) -> None:
        if time.monotonic() - self.loaded_at > TTL_SECONDS:
            self.clear()


_caches: weakref.WeakKeyDictionary[Engine, _EngineLabels] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _cache(session: Session) -> _EngineLabels:
    engine = _engine_of(session)
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = _EngineLabels()
            cache.loaded_at = time.monotonic()
    cache.expire_if_old()
    return cache


def themes_by_id(session: Session) -> dict[int, ThemeLabel]:
    """Every theme (a few dozen rows), by id."""
    cache = _cache(session)
    themes = cache.themes
    if themes is None:
        rows = session.execute(select(Theme.id, Theme.slug, Theme.label, Theme.description))
        themes = {r.id: ThemeLabel(r.id, r.slug, r.label, r.description or "") for r in rows}
        with cache.lock:
            cache.themes = themes
    return themes


def theme_labels(session: Session) -> dict[str, str]:
    return {t.slug: t.label for t in themes_by_id(session).values()}


def territory_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names of the territories with these codes (unknown codes are left out); one query for the misses."""
    cache = _cache(session)
    wanted = set(codes)
    known = cache.territory_names
    missing = [c for c in wanted if c not in known]
    if missing:
        rows = dict(
            session.execute(select(Territory.code, Territory.name).where(Territory.code.in_(missing))).all()
        )
        with cache.lock:
            cache.territory_names.update(rows)
            for code in missing:
                cache.territory_names.setdefault(code, "")  # remembered as unknown too
        known = cache.territory_names
    return {c: known[c] for c in wanted if known.get(c)}


@event.listens_for(Session, "after_flush")
def _note_label_changes(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (Theme, Territory)) for obj in changed):
        session.info["labels_changed"] = True


@event.listens_for(Session, "after_commit")
def _invalidate(session: Session) -> None:
    # After the commit, not at the flush: a search in between would cache the old labels again.
    if not session.info.pop("labels_changed", False):
        return
    try:
        engine = _engine_of(session)
    except Exception:  # an unbound session: nothing cached for it
        return
    with _caches_lock:
        cache = _caches.get(engine)
    if cache is not None:
        cache.clear()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("labels_changed", None)
