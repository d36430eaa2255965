"""Distinctions as a search filter and as badges of the results: the filter reaches the index payload
(`distinctions`, rebuilt through the outbox when an entry changes), so totals, facets and pages count
only the matching cases; the API items and the page's cards show the badges."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy
from service.contests.models import (
    Contest,
    ContestCategory,
    ContestEntry,
    ContestStage,
    EntryResult,
    StageLevel,
)
from service.indexjobs.models import IndexJob, IndexKind
from service.organisations.models import Organisation

SEARCH = "/api/v1/search"
SLUG = "lify-air-capteurs-pollens"
QUERY = "capteurs de pollens pour les allergiques"


@dataclass
class Won:
    contest_slug: str
    case_id: int


def _drain(app: FastAPI) -> None:
    app.state.outbox_worker.run_until_idle()


@pytest.fixture
def laureate(app: FastAPI, session: Session) -> Iterator[Won]:
    """A contest of its own where the seeded pollen-sensor case is laureate (removed afterwards)."""
    _drain(app)
    case_id = session.scalar(select(CaseStudy.id).where(CaseStudy.slug == SLUG))
    org_id = session.scalar(select(Organisation.id).order_by(Organisation.id).limit(1))
    assert case_id is not None and org_id is not None
    slug = f"trophee-{uuid.uuid4().hex[:8]}"
    contest = Contest(slug=slug, name="Trophée de l'air", edition="2020", organisation_id=org_id)
    category = ContestCategory(name="Start-ups", position=0)
    stage = ContestStage(name="Finale nationale", level=StageLevel.national, position=1)
    contest.categories.append(category)
    contest.stages.append(stage)
    session.add(contest)
    session.flush()
    session.add(
        ContestEntry(
            contest_id=contest.id,
            category_id=category.id,
            stage_id=stage.id,
            case_study_id=case_id,
            result=EntryResult.laureate,
        )
    )
    session.commit()
    yield Won(slug, case_id)
    session.delete(session.get(Contest, contest.id))
    session.commit()
    _drain(app)


def _search(client: TestClient, **params: object) -> dict:
    response = client.get(SEARCH, params={"q": QUERY, "page_size": 50, **params})
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def test_an_entry_queues_its_case_and_the_filter_counts_before_paging(
    client: TestClient, app: FastAPI, session: Session, laureate: Won
) -> None:
    jobs = session.scalars(
        select(IndexJob.entity_id).where(
            IndexJob.kind == IndexKind.case, IndexJob.entity_id == laureate.case_id
        )
    ).all()
    assert jobs  # the entry queued its case in the same transaction
    _drain(app)
    everything = _search(client)
    assert everything["total"] > 1
    won = _search(client, distinction="laureate")
    assert won["total"] == 1 and [i["case"]["id"] for i in won["items"]] == [laureate.case_id]
    [badge] = [d for d in won["items"][0]["distinctions"] if d["contest"] == "Trophée de l'air"]
    assert badge["result"] == "laureate" and badge["label"].startswith("Lauréat — Trophée de l'air")
    assert _search(client, distinction=laureate.contest_slug)["total"] == 1
    assert laureate.case_id in [i["case"]["id"] for i in _search(client, distinction="finalist")["items"]]
    # The seeded 2019 entries are candidacies: `any` finds them too, `laureate` does not.
    anyone = _search(client, distinction="any")
    assert anyone["total"] >= 1 and laureate.case_id in [i["case"]["id"] for i in anyone["items"]]
    facet = {f["value"]: f for f in everything["facets"]["distinction"]}
    assert facet["laureate"]["label"] == "Lauréat" and facet["laureate"]["count"] == 1
    assert facet[laureate.contest_slug]["label"] == "Trophée de l'air (2020)"
    # Pages follow the filtered total: one page of one, nothing on page 2.
    paged = _search(client, distinction="laureate", page_size=1)
    assert paged["next"] is None and len(paged["items"]) == 1
    assert _search(client, distinction="inconnu")["total"] == 0


def test_the_search_page_filters_by_distinction_and_shows_badges(
    client: TestClient, app: FastAPI, laureate: Won
) -> None:
    _drain(app)
    html = client.get("/recherche", params={"q": QUERY, "distinction": "laureate"}).text
    assert "1 expérience trouvée" in html and "Distinctions" in html
    assert 'name="distinction" value="laureate"' in html
    assert "Lauréat — Trophée de l&#39;air" in html or "Lauréat — Trophée de l'air" in html
    # A value that cannot be a slug is dropped on the page, as unknown facet values are.
    assert client.get("/recherche", params={"q": QUERY, "distinction": "<b>"}).status_code == 200


def test_bad_distinction_values_are_a_clear_422(client: TestClient) -> None:
    response = client.get(SEARCH, params={"q": QUERY, "distinction": "Pas un slug !"})
    assert response.status_code == 422
    assert "distinction" in response.text
    doc = client.get("/api/v1/openapi.json").json()
    [search] = [path["get"] for url, path in doc["paths"].items() if url.endswith("/search")]
    [param] = [p for p in search["parameters"] if p["name"] == "distinction"]
    assert "lauréate" in param["description"]
