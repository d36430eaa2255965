"""Issue 15, finding 7 (no limit where a stranger makes us work) and the Low finding « the login
throttle is peek → verify → count ». One mechanism (service/ratelimit/budgets.py): counted first, in
the request's transaction, then 429 + Retry-After with a French message."""

from __future__ import annotations

import html
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from indexing.case_index import passage_point_id
from service.app import create_app
from service.casestudies.models import CaseStudy, PublicationState
from service.ratelimit.counters import hit
from service.ratelimit.models import RateCounter
from service.ratelimit.slots import QUERY_SLOTS, Busy
from service.search_engine.embedding_slots import BoundedEmbedder
from service.settings import Settings
from service.territories.models import Territory, TerritoryKind
from tests.service.accounts_support import emails_to, fresh_window, new_person, post_form
from tests.support.api import ADMIN_TOKEN
from tests.support.web import log_in


@pytest.fixture(scope="module")
def strict_app(settings: Settings, seeded_engine: Engine) -> FastAPI:
    return create_app(
        settings.model_copy(
            update={
                "anonymous_searches_per_minute": 3,
                "password_resets_per_hour": 2,
                "verification_mails_per_hour": 2,
                "registrations_per_hour": 2,
                "account_deletions_per_hour": 2,
                "login_max_failures_per_account": 5,
            }
        )
    )


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def _browser(app: FastAPI, ip: str | None = None) -> TestClient:
    return TestClient(app, client=(ip or _address(), 50000), raise_server_exceptions=False)


def _a_published_case_and_commune(engine: Engine) -> tuple[int, str]:
    with Session(engine) as db:
        case_id = db.scalar(
            select(CaseStudy.id).where(CaseStudy.publication_state == PublicationState.published).limit(1)
        )
        code = db.scalar(select(Territory.code).where(Territory.kind == TerritoryKind.commune).limit(1))
    assert case_id is not None and code is not None
    return case_id, code


def _refused(answer: Any) -> None:
    assert answer.status_code == 429, answer.text[:300]
    assert int(answer.headers["Retry-After"]) > 0
    assert "Réessayez dans" in answer.text


def test_finding_7_strangers_have_budgets(strict_app: FastAPI, seeded_engine: Engine) -> None:
    browser = _browser(strict_app)
    # Anonymous searches (API, duplicate check, page, widget) share one per-IP budget.
    for _ in range(3):
        assert browser.get("/api/v1/search", params={"q": "logiciel"}).status_code != 429
    _refused(browser.get("/api/v1/search", params={"q": "logiciel"}))
    _refused(browser.post("/api/v1/case-studies/check-duplicates", json={"title": "Un titre de fiche"}))
    _refused(browser.get("/recherche", params={"q": "logiciel"}))
    _refused(browser.get("/widget", params={"q": "logiciel"}))
    # … and so do the other routes that may embed: similar cases, a saved search's feed, mutualisation.
    case_id, code = _a_published_case_and_commune(seeded_engine)
    _refused(browser.get(f"/api/v1/case-studies/{case_id}/similar"))
    _refused(browser.get("/api/v1/feeds/search.atom", params={"q": "logiciel"}))
    _refused(browser.get(f"/api/v1/territories/{code}/mutualisation", params={"q": "logiciel"}))
    # Without a query, mutualisation embeds nothing and costs nothing.
    plain = browser.get(f"/api/v1/territories/{code}/mutualisation", params={"theme": "open-data"})
    assert plain.status_code != 429, plain.text[:300]

    # Password-reset mails: per address.
    person = new_person(seeded_engine)
    other = _browser(strict_app)
    answers = [
        post_form(other, "/mot-de-passe-oublie", "/mot-de-passe-oublie", {"email": person.email})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    _refused(answers[2])
    assert len(emails_to(seeded_engine, person.email, "reset_password")) == 2

    # Registrations (an Argon2 hash each): per IP.
    third = _browser(strict_app)
    statuses = []
    for _ in range(3):
        email = f"n-{uuid.uuid4().hex[:10]}@commune.test.fr"
        form = {
            "email": email,
            "display_name": "Nouvel agent",
            "password": "x" * 14,
            "password_confirm": "x" * 14,
        }
        statuses.append(post_form(third, "/inscription", "/inscription", form))
        third.cookies.clear()
    assert [s.status_code for s in statuses[:2]] == [303, 303]
    _refused(statuses[2])


def test_finding_low_login_throttle_counts_before_it_checks(
    strict_app: FastAPI, seeded_engine: Engine
) -> None:
    """Ten concurrent guesses against a limit of five: at most five passwords are checked."""
    person = new_person(seeded_engine)
    browser = _browser(strict_app)
    token_page = browser.get("/connexion")
    assert token_page.status_code == 200

    def guess(i: int) -> int:
        answer = post_form(
            browser, "/connexion", "/connexion", {"email": person.email, "password": f"mauvais {i}"}
        )
        return int(answer.status_code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(guess, range(10)))
    assert statuses.count(401) <= 5, statuses
    assert set(statuses) <= {401, 429}, statuses


def test_finding_7_anonymous_search_budget_is_shared_by_every_process(
    strict_app: FastAPI, seeded_engine: Engine
) -> None:
    """The search budget is counted where the other limits count (the database), not in one process's
    memory: searches another app process served from the same address count here too."""
    ip = _address()
    browser = _browser(strict_app, ip)
    key = f"search:ip:{ip}"
    fresh_window(60)
    assert browser.get("/api/v1/search", params={"q": "logiciel"}).status_code != 429
    with Session(seeded_engine) as db:
        counted = db.scalar(select(func.sum(RateCounter.count)).where(RateCounter.key == key))
    assert counted == 1, "this process's search is counted in the database, for the others to see"
    for _ in range(2):  # two searches of the same address, served by another process
        hit(seeded_engine, key, window_seconds=60)
    _refused(browser.get("/api/v1/search", params={"q": "logiciel"}))
    _refused(browser.get("/recherche", params={"q": "logiciel"}))


def test_finding_7_every_embedding_a_stranger_triggers_takes_a_bounded_slot(
    client: TestClient, app: FastAPI, seeded_engine: Engine
) -> None:
    """With every query-embedding slot taken, each anonymous route that embeds answers 429 at once
    (instead of queueing on the CPU), and so does every request-time embedder below them: the
    discussions' search and the second encoder included. The index worker's embedders stay unbounded."""
    engine = app.state.search
    case_id, code = _a_published_case_and_commune(seeded_engine)
    slug = client.get(f"/api/v1/case-studies/{case_id}").json()["slug"]
    # Similar cases of an indexed case read its stored vector (no embedding); a case the worker has not
    # indexed yet (this app runs none) is embedded on the request: that one must wait for a slot.
    fresh = client.post(
        "/api/v1/case-studies",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        json={
            "title": "Capteurs de pollen dans les écoles",
            "summary": "Une commune mesure les pollens.",
            "status": "pilot",
            "publication_state": "published",
        },
    )
    assert fresh.status_code == 201, fresh.text
    assert not engine.index.retrieve_vectors([passage_point_id(fresh.json()["id"], 0)])
    anonymous = [
        ("GET", "/api/v1/search", {"params": {"q": "capteurs de pollen"}}),
        ("POST", "/api/v1/case-studies/check-duplicates", {"json": {"title": "Un portail citoyen libre"}}),
        ("GET", f"/api/v1/case-studies/{fresh.json()['id']}/similar", {}),
        ("GET", "/api/v1/feeds/search.atom", {"params": {"q": "capteurs de pollen"}}),
        ("GET", f"/api/v1/territories/{code}/mutualisation", {"params": {"q": "logiciel de cantine"}}),
        ("GET", "/recherche", {"params": {"q": "capteurs de pollen"}}),
        ("GET", "/widget", {"params": {"q": "capteurs de pollen"}}),
    ]
    with ExitStack() as taken:
        for _ in range(QUERY_SLOTS.size):
            taken.enter_context(QUERY_SLOTS.hold())
        for method, path, kwargs in anonymous:
            answer = client.request(method, path, **kwargs)
            assert answer.status_code == 429, (path, answer.status_code, answer.text[:200])
            assert int(answer.headers["Retry-After"]) > 0
            assert "réessayez dans quelques secondes" in html.unescape(answer.text)
        with pytest.raises(Busy):
            engine.embedder.embed_query("capteurs de pollen")
        with pytest.raises(Busy):
            engine.thread_searcher.find("capteurs de pollen")  # /recherche's discussions
        if engine.second is not None:
            with pytest.raises(Busy):
                engine.second.embedder.embed_query("capteurs de pollen")
            assert engine.retriever.second is engine.second
        # A case page stays up when its suggestions cannot be computed.
        assert client.get(f"/experiences/{slug}").status_code == 200
    assert not isinstance(engine.thread_indexer.embedder, BoundedEmbedder)
    assert not isinstance(engine.indexer.embedder, BoundedEmbedder)


def test_finding_low_account_deletion_is_not_a_password_oracle(
    strict_app: FastAPI, seeded_engine: Engine
) -> None:
    """The account-deletion form checks a password: its attempts are counted first, then refused past
    the hourly budget (2 here) — even the right password then waits."""
    person = new_person(seeded_engine)
    browser = _browser(strict_app)
    log_in(browser, person)
    guesses = [
        post_form(browser, "/compte", "/compte/supprimer", {"password": f"devine {i}", "confirm": "oui"})
        for i in range(2)
    ]
    assert [g.status_code for g in guesses] == [422, 422]
    _refused(
        post_form(browser, "/compte", "/compte/supprimer", {"password": person.password, "confirm": "oui"})
    )
    assert browser.get("/compte", follow_redirects=False).status_code == 200, "the account is still there"
