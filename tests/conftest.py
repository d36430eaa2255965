"""Shared fixtures: one migrated and seeded database per test run (SQLite, or PostgreSQL when
RETEX_TEST_DATABASE_URL is set), and a FastAPI app bound to it. Fixtures only: the helpers tests
import live in tests/support/."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.app import create_app
from service.db.engine import make_engine, make_session_factory
from service.db.migrate import upgrade
from service.settings import Settings
from tests.processes import LocalPostgres
from tests.support.api import ADMIN_TOKEN
from tests.support.databases import reset_postgres, scratch_database
from tests.support.live_server import serve
from tests.support.paths import REPO
from tests.support.people import PASSWORD, People, Person

PG_URL_ENV = "RETEX_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get(PG_URL_ENV)
    if url:
        # In CI a missing server must fail the run, never skip it.
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'retex.sqlite3'}"


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


@pytest.fixture(scope="session")
def seeded_engine(database_url: str) -> Iterator[Engine]:
    from seeds.run import seed_all

    upgrade(database_url)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        seed_all(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(seeded_engine: Engine) -> Iterator[Session]:
    with make_session_factory(seeded_engine)() as s:
        yield s


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        model="hashing",
        index_worker=False,
        email_sender=False,  # tests read the queued emails from the table
        webhook_worker=False,  # webhook tests run the worker themselves
        webhook_allow_private=True,  # their receivers listen on 127.0.0.1
        posts_per_minute=1000,  # the flood test lowers it for itself
        anonymous_searches_per_minute=1_000_000,  # the budget tests lower it for themselves
        anonymous_reads_per_minute=1_000_000,
        # Every test client registers from the same address: the per-IP limit would depend on how many
        # tests ran before (the budget tests lower it for themselves).
        registrations_per_hour=1_000_000,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, seeded_engine: Engine) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def live_server(app: FastAPI) -> Iterator[str]:
    """The real app under uvicorn, on 127.0.0.1, index drained (browser tests, the API guide)."""
    with serve(app) as url:
        yield url


@pytest.fixture
def admin_headers() -> dict[str, str]:
    """The operator token (RETEX_ADMIN_TOKEN): acts as an administrator on the API."""
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="session")
def people(seeded_engine: Engine) -> People:
    from service.accounts.api_keys import create_api_key
    from service.accounts.models import Membership, Role, User
    from service.accounts.passwords import hash_password
    from service.authz.principal import ALL_SCOPES, Scope
    from service.db.base import utcnow
    from service.organisations.models import Organisation

    password_hash = hash_password(PASSWORD)
    with make_session_factory(seeded_engine)() as db:
        org_id, other_org_id = db.scalars(select(Organisation.id).order_by(Organisation.id).limit(2)).all()

        def person(
            name: str, role: Role, *, org: int | None = None, org_admin: bool = False, verified: bool = True
        ) -> Person:
            email = f"{name}@{uuid.uuid4().hex[:8]}.test.fr"
            user = User(
                email=email,
                display_name=name.capitalize(),
                password_hash=password_hash,
                role=role,
                email_verified_at=utcnow() if verified else None,
            )
            db.add(user)
            db.flush()
            if org is not None:
                db.add(Membership(user_id=user.id, organisation_id=org, is_org_admin=org_admin))
            _, secret = create_api_key(
                db,
                name=f"clé de {name}",
                scopes=ALL_SCOPES,
                rate_limit_per_minute=10_000,
                user_id=user.id,
                created_by_id=user.id,
            )
            return Person(user_id=user.id, email=email, api_key=secret, display_name=user.display_name)

        people = People(
            admin=person("admin", Role.admin),
            moderator=person("moderatrice", Role.moderator),
            member=person("membre", Role.member, org=org_id),
            org_admin=person("responsable", Role.member, org=org_id, org_admin=True),
            outsider=person("voisin", Role.member, org=other_org_id),
            unverified=person("nouveau", Role.member, org=org_id, verified=False),
            partner=Person(
                user_id=0,
                email="",
                api_key=create_api_key(
                    db,
                    name="Partenaire",
                    scopes=frozenset({Scope.read, Scope.search}),
                    rate_limit_per_minute=10_000,
                    user_id=None,
                    created_by_id=None,
                )[1],
            ),
            org_id=org_id,
            other_org_id=other_org_id,
        )
        db.commit()
    return people


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of indexing/ never touch the database: the PostgreSQL pass need not repeat them. A test that
    drives Chromium (it asks for the `browser` or `page` fixture) is a browser test, marked or not."""
    for item in items:
        if "tests/indexing/" in item.nodeid:
            item.add_marker(pytest.mark.nodb)
        if {"browser", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (RETEX_CI=1) a skipped test is a test that should have run: fail the run."""
    if not os.environ.get("RETEX_CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        print(f"\nRETEX_CI: {skipped} test(s) skipped; in CI every test must run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def packaged_model_dir() -> Path:
    """The real embedding model, converted once (by `make install`, or here) and shared by the tests."""
    from indexing.model_convert import MODEL_ID, ensure_converted_model

    base = Path(os.environ.get("RETEX_DATA_DIR") or REPO / "var")
    return ensure_converted_model(base / "models" / MODEL_ID)


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def local_postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server of the test run's own (spare port), which a fault test may stop and restart.

    Needs the PostgreSQL server package (as in CI); independent of RETEX_TEST_DATABASE_URL."""
    server = LocalPostgres().init()
    try:
        server.start()
        yield server
    finally:
        server.destroy()
