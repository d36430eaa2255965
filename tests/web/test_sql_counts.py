"""No N+1 queries: the search and case pages run a small number of SQL statements, the same whatever
the number of results shown (counted with SQLAlchemy's before_cursor_execute event)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState, case_territories
from tests.support.web import drain

SEARCH_BOUND = 10
CASE_BOUND = 25


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def count(self, client: TestClient, url: str, **kwargs: Any) -> int:
        self.statements.clear()
        response = client.get(url, **kwargs)
        assert response.status_code == 200, response.text[:300]
        return len(self.statements)


@pytest.fixture
def counter(app: FastAPI, client: TestClient) -> Iterator[Counter]:
    drain(app)
    c = Counter()
    event.listen(app.state.engine, "before_cursor_execute", c)
    try:
        yield c
    finally:
        event.remove(app.state.engine, "before_cursor_execute", c)


def test_search_page_statements_do_not_grow_with_results(counter: Counter, client: TestClient) -> None:
    hx = {"HX-Request": "true"}
    # The first search fills the process's caches of labels (themes, places of the facets): once per
    # process, not per result.
    counter.count(client, "/recherche?q=emploi&par_page=50", headers=hx)
    few = counter.count(client, "/recherche?q=emploi&par_page=2", headers=hx)
    many = counter.count(client, "/recherche?q=emploi&par_page=50", headers=hx)
    filtered = counter.count(client, "/recherche?q=emploi&par_page=50&status=pilot&theme=emploi-et-formation")
    assert few == many <= SEARCH_BOUND, counter.statements
    assert filtered <= SEARCH_BOUND


def test_case_page_statements_are_bounded(counter: Counter, client: TestClient, session: Session) -> None:
    published = CaseStudy.publication_state == PublicationState.published
    richest = session.execute(
        select(CaseStudy.slug)
        .join(case_territories, case_territories.c.case_study_id == CaseStudy.id)
        .where(published)
        .group_by(CaseStudy.slug)
        .order_by(func.count().desc(), CaseStudy.slug)
        .limit(1)
    ).scalar_one()
    plain = session.scalars(select(CaseStudy.slug).where(published, ~CaseStudy.territories.any())).first()
    rich_count = counter.count(client, f"/experiences/{richest}")
    plain_count = counter.count(client, f"/experiences/{plain}")
    assert rich_count <= CASE_BOUND and plain_count <= CASE_BOUND, counter.statements


def test_list_pages_statements_are_bounded(counter: Counter, client: TestClient) -> None:
    assert counter.count(client, "/") <= 12
    assert counter.count(client, "/experiences") == counter.count(client, "/experiences?page=2")
    assert counter.count(client, "/territoires/dep-83") <= CASE_BOUND


def test_search_page_with_my_territory_explains_each_result_in_a_fixed_number_of_statements(
    counter: Counter, client: TestClient
) -> None:
    """Why each result is close to « mon territoire » is computed for the page shown, in one batch: the
    reader, the cases' territories, the communes they serve and the place names cost the same for 2 or
    50 results (web/closeness.py)."""
    hx = {"HX-Request": "true"}
    q = "/recherche?q=centrale+d%27achat+pour+les+communes"
    counter.count(client, f"{q}&par_page=50", headers=hx)  # the label caches, once per process
    plain_few = counter.count(client, f"{q}&par_page=3", headers=hx)
    plain_many = counter.count(client, f"{q}&par_page=50", headers=hx)
    client.cookies.set("retex_territoire", "83102")  # Régusse
    try:
        few = counter.count(client, f"{q}&par_page=3", headers=hx)
        many = counter.count(client, f"{q}&par_page=50", headers=hx)
    finally:
        client.cookies.clear()
    assert few - plain_few == many - plain_many <= FIT_BATCH, "\n".join(s[:160] for s in counter.statements)


FIT_BATCH = 12  # the reader (and its own cases), cases + territories, served communes (2), place names
