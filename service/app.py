"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from anyio import to_thread
from fastapi import APIRouter, FastAPI

from indexing.index_types import IndexLockedError
from service.accounts.api import router as accounts_router
from service.accounts.passwords import PASSWORD_SLOTS
from service.api.auth import ReadAccess, SearchAccess
from service.api.body_limit import BodySizeLimit
from service.api.cors import ApiCors
from service.api.docs_page import install_docs_page
from service.api.errors import DATABASE_DOWN_ERRORS, install_error_handlers
from service.api.etag import ETagMiddleware
from service.api.no_store import NoStoreWhenAuthenticated
from service.api.openapi import install_openapi
from service.api.operation_ids import operation_id
from service.api.ratelimit_headers import RateLimitHeaders
from service.api.request_id import RequestId
from service.api.strict_query import StrictQuery
from service.api.transport import install_transport
from service.collections.api import router as collections_router
from service.contests.api import router as contests_router
from service.db.engine import make_engine, make_session_factory
from service.discussions.api import router as discussions_router
from service.discussions.digests import send_due_digests
from service.emails.sender import EmailSender
from service.events.api import router as events_router
from service.funding.api import router as funding_router
from service.health.api import router as health_router
from service.indexjobs.claim_guard import ClaimGuard, OutboxBusyError, take_claim_guard
from service.indexjobs.consistency import reconcile
from service.indexjobs.worker import OutboxWorker
from service.moderation.api import router as moderation_router
from service.opendata.api import router as opendata_router
from service.opendata.event_feed import router as event_feed_router
from service.opendata.funded_projects import router as funding_export_router
from service.organisations.api import router as organisations_router
from service.publiccode.api import router as public_code_router
from service.publishing.api import router as case_studies_router
from service.ratelimit.budgets import ReadBudget
from service.ratelimit.slots import default_size
from service.search.api import router as search_router
from service.search_engine.embedding_slots import QUERY_SLOTS
from service.search_engine.engine import SearchEngine
from service.settings import Settings
from service.software.api import router as software_router
from service.sync.api import router as sync_router
from service.territories.api import router as territories_router
from service.territories.index_runtime import TerritoryIndexRuntime
from service.territory_insights.api import case_fit_router
from service.territory_insights.api import router as territory_insights_router
from service.themes.api import router as themes_router
from service.webhooks.api import router as webhooks_router
from service.webhooks.worker import WebhookWorker
from web.mount import mount_web  # web interface (web/), mounted below

API_DESCRIPTION = """
**Français.** Retex partage les retours d'expérience numériques des territoires. Lecture libre, sans compte ;
listes `{"items": [...], "total": N, "next": curseur|null}` (`limit` ≤ 100, `cursor=<next>`) ; dates ISO 8601
en UTC ; `ETag` / `If-None-Match` ; `X-Request-ID` ; erreurs RFC 9457 (Problem Details) avec un message par
champ ; exports ouverts (JSON Lines, CSV, licence de chaque contenu) et flux Atom. Guide : `docs/api.md`.

**English.** Retex shares what French territories learnt from their digital projects. Public reads, no
account; cursor-paginated lists; ISO 8601 UTC dates; ETag / If-None-Match; X-Request-ID; RFC 9457 Problem
Details errors with one message per field; open data exports (JSON Lines, CSV, per-case licence) and Atom
feeds.
"""


log = logging.getLogger(__name__)
# Connections beyond the request pool, for the background threads (outbox worker, e-mail sender,
# territory index, streamed exports); the webhook worker adds one per endpoint it sends to at once.
BACKGROUND_CONNECTIONS = 5


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the search engine and start the outbox worker; close both on shutdown."""
    settings: Settings = app.state.settings
    # As many request threads as database connections (sync routes and dependencies run there).
    to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
    try:
        engine = SearchEngine.open(settings)
    except IndexLockedError as exc:
        log.error("cannot start: %s", exc)
        raise
    app.state.search = engine
    worker = OutboxWorker(
        app.state.session_factory,
        engine,
        batch_size=settings.worker_batch_size,
        max_attempts=settings.worker_max_attempts,
    )
    app.state.outbox_worker = worker
    guard = _claim(settings, "outbox") if settings.index_worker else None
    # The process that applies the queue checks the index against the database (with several app
    # processes on SQLite, the one holding the claim); without a worker here, the embedded index is
    # this process's own and is checked all the same.
    if guard is not None or (not settings.index_worker and not settings.qdrant_url):
        _reconcile_index(app, engine)
    if guard is not None:
        worker.start()
    # Territory feature vectors (similar territories): built in the background when missing.
    territories = TerritoryIndexRuntime(settings, app.state.session_factory)
    app.state.territory_index = territories
    territories.start()
    # The mail transport only sends; the digests are the discussions job that queues mail on a schedule.
    emails = EmailSender(
        settings,
        app.state.session_factory,
        producers=[partial(send_due_digests, public_url=settings.public_url)],
    )
    emails_guard = _claim(settings, "emails") if settings.email_sender else None
    if emails_guard is not None:
        emails.start()
    webhooks, webhooks_guard = _start_webhooks(app, settings)
    try:
        yield
    finally:
        if webhooks is not None:
            webhooks.stop()
        emails.stop()
        worker.stop()
        # Only once its worker has stopped may another process claim a queue.
        for held in (webhooks_guard, emails_guard, guard):
            if held is not None:
                held.release()
        territories.close()
        app.state.territory_index = None
        app.state.search = None
        engine.close()


def _claim(settings: Settings, queue: str) -> ClaimGuard | None:
    """This process's claim on a queue (always given on PostgreSQL); None: another process has it."""
    try:
        return take_claim_guard(settings.resolved_database_url, queue)
    except OutboxBusyError:
        # Another app process of the same SQLite database (serve --workers N) or a `retex worker`.
        log.info("%s: another process claims this queue, this one leaves it to it", queue)
        return None


def _start_webhooks(app: FastAPI, settings: Settings) -> tuple[WebhookWorker | None, ClaimGuard | None]:
    """The webhook deliveries' worker, as a thread of this process (one claimer per SQLite database)."""
    if not settings.webhook_worker:
        return None, None
    guard = _claim(settings, "webhooks")
    if guard is None:
        return None, None
    worker = WebhookWorker(app.state.session_factory, settings)
    app.state.webhook_worker = worker
    worker.start()
    return worker, guard


def _reconcile_index(app: FastAPI, engine: SearchEngine) -> None:
    """A deleted, damaged or stale index is brought back in step with the database by the worker."""
    try:
        with app.state.session_factory() as session:
            queued = reconcile(session, engine)
    except DATABASE_DOWN_ERRORS as exc:  # the app still starts; /readyz says what is wrong
        log.error("database unreachable at start-up, index not checked: %s", exc)
        return
    for kind, n in queued.items():
        if n:
            log.info("index out of step with the database: %d %s(s) queued for indexing", n, kind)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.ensure_data_dir()
    app = FastAPI(
        lifespan=lifespan,
        title="Retex API",
        version="1.3.0",  # docs/api-changelog.md
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from the vendored Swagger UI (service/api/docs_page.py)
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    engine = make_engine(
        settings.resolved_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=BACKGROUND_CONNECTIONS
        + (settings.webhook_concurrency if settings.webhook_worker else 0),
        pool_timeout=settings.db_pool_timeout,
    )
    app.state.engine = engine
    PASSWORD_SLOTS.resize(settings.password_hash_concurrency or default_size())
    QUERY_SLOTS.resize(settings.embedding_concurrency or default_size())
    app.state.session_factory = make_session_factory(engine)

    # Every /api/v1 operation: unknown query parameters refused, anonymous callers within their budget.
    api = APIRouter(prefix="/api/v1", dependencies=[ReadBudget, StrictQuery])
    for router in (
        case_studies_router,
        case_fit_router,
        territories_router,
        territory_insights_router,
        organisations_router,
        software_router,
        themes_router,
        accounts_router,
        moderation_router,
        discussions_router,
        opendata_router,
        funding_router,
        funding_export_router,
        public_code_router,
        events_router,
        event_feed_router,
        contests_router,
        collections_router,
        sync_router,
        webhooks_router,
    ):
        api.include_router(router, dependencies=[ReadAccess])
    api.include_router(search_router, dependencies=[SearchAccess])
    app.include_router(api)
    app.include_router(health_router)
    install_error_handlers(app)
    # --- web interface (web/): HTML pages, /static, session cookie, HTML error pages ------------
    mount_web(app)  # after install_error_handlers: it wraps them (the API keeps Problem Details)
    # --- end of web interface ------------------------------------------------------------------
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(ETagMiddleware)
    app.add_middleware(NoStoreWhenAuthenticated)
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(ApiCors, allow_origins=settings.cors_allow_origins)
    app.add_middleware(RequestId)  # every response, even a 413, carries its id
    install_transport(app, settings)  # outermost: real client address and scheme behind a proxy
    install_openapi(app)
    install_docs_page(app, openapi_url="/api/v1/openapi.json", title="Retex API")
    return app
