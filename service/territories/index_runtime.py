"""The territory collection of one process: built from the database in a background thread, closed
on shutdown.

Building all 36k points takes about 6 s on a small machine (opening the built collection ~0.3 s), so
start-up never waits for it: the build starts at start-up when the collection is missing, otherwise
the collection is opened on first use. Until it is ready, the similarity endpoints answer 503
« réessayez dans quelques secondes ». Staleness rule, checked when it is opened: its point count
differs from the number of territories in the database (a new administrative split changes it); the
sync is resumable (it only writes points whose facts changed), so a stop half-way loses nothing.
`retex reindex` rebuilds it from scratch."""

from __future__ import annotations

import logging
import threading

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from indexing.index_types import IndexModelMismatch
from indexing.territory_index import TERRITORIES_COLLECTION, SyncReport, TerritoryIndex, territories_spec
from indexing.vector_index import drop_index, open_index, stored_spec
from service.api.errors import DomainError
from service.settings import Settings
from service.territories.features import all_facts, territory_count

log = logging.getLogger(__name__)


def open_territory_index(settings: Settings, *, fresh: bool = False) -> TerritoryIndex:
    """Open (creating if needed) the territory collection. It is derived data and cheap to rebuild:
    one built with another feature layout is dropped rather than refused. fresh: drop it first."""
    where = settings.index_location()
    if fresh:
        drop_index(TERRITORIES_COLLECTION, **where)
    try:
        return TerritoryIndex(open_index(territories_spec(), **where))
    except IndexModelMismatch:
        log.warning("territory index built with another feature layout: rebuilding it")
        drop_index(TERRITORIES_COLLECTION, **where)
        return TerritoryIndex(open_index(territories_spec(), **where))


def sync_territory_index(session: Session, index: TerritoryIndex) -> SyncReport:
    """Bring the collection in step with the database now (used by `retex reindex`)."""
    return index.sync(all_facts(session))


class TerritoryIndexRuntime:
    """Opens the collection and syncs it in a background thread, so start-up never waits for it:
    right away at start-up when the collection is missing (fresh install, new feature layout),
    otherwise on first use (opening it costs ~0.3 s; most processes and tests never need it)."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.index: TerritoryIndex | None = None
        self.last_report: SyncReport | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Called at start-up: begin building now if the collection is missing. True if it did."""
        stored = stored_spec(TERRITORIES_COLLECTION, **self.settings.index_location())
        if stored == territories_spec():
            return False
        self.ensure_started()
        return True

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="retex-territories", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self.index = index = open_territory_index(self.settings)
            with self.session_factory() as session:
                if index.count() != territory_count(session):
                    report = index.sync(all_facts(session), should_stop=self._stop.is_set)
                    self.last_report = report
                    if not report.complete:
                        return
                    log.info("territory index synced: %s", report)
            self._ready.set()
        except Exception:  # the endpoints keep answering 503; the next start-up retries
            log.exception("territory index sync failed")

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        self.ensure_started()
        return self._ready.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(60)
        if self.index is not None:
            self.index.index.close()
            self.index = None


FIRST_USE_WAIT_SECONDS = 2.0  # opening takes ~0.3 s; a missing or stale collection takes ~6 s


def get_territory_index(request: Request) -> TerritoryIndex:
    runtime: TerritoryIndexRuntime | None = getattr(request.app.state, "territory_index", None)
    if runtime is None or not runtime.wait_ready(FIRST_USE_WAIT_SECONDS) or runtime.index is None:
        raise DomainError(
            "Les territoires comparables se préparent (index en construction) : "
            "réessayez dans quelques secondes.",
            status_code=503,
        )
    return runtime.index
