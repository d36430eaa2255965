"""The product's search, end to end with the real model on the seeded data: a digital officer's need
in plain French (or English) finds the right experience even when it shares no word with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.app import create_app
from service.settings import Settings
from tests.support.api import ADMIN_TOKEN
from tests.support.model_dir import data_dir_with_model

pytestmark = pytest.mark.once  # the real model's quality does not depend on the database


@pytest.fixture(scope="module")
def real_client(
    database_url: str,
    seeded_engine: Engine,
    packaged_model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    data_dir = data_dir_with_model(tmp_path_factory.mktemp("real"), packaged_model_dir)
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        model="packaged:multilingual-e5-small",
        index_worker=False,
    )
    app: FastAPI = create_app(settings)
    with TestClient(app) as client:
        # Start-up found the index empty and queued every published case; index them now.
        app.state.outbox_worker.run_until_idle()
        yield client


def _titles(client: TestClient, q: str, **params: str) -> list[str]:
    response = client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [item["case"]["title"] for item in response.json()["items"]]


def test_pooled_purchasing_need_finds_val_d_oise_in_top_3(real_client: TestClient) -> None:
    titles = _titles(real_client, "acheter des logiciels à plusieurs petites communes")
    assert any("Val d'Oise" in t or "Val-d'Oise" in t for t in titles[:3]), titles[:5]


def test_english_pollen_query_finds_lify_air_first(real_client: TestClient) -> None:
    titles = _titles(real_client, "pollen allergy sensors")
    assert "Lify-Air" in titles[0], titles[:5]


def test_similar_cases_of_the_paris_portal_are_relevant(real_client: TestClient) -> None:
    found = real_client.get("/api/v1/search", params={"q": "Lutèce monparis"}).json()["items"][0]["case"]
    similar = real_client.get(f"/api/v1/case-studies/{found['id']}/similar").json()["items"]
    assert len(similar) == 5
    assert found["id"] not in [s["case"]["id"] for s in similar]
    assert all(0.5 < s["similarity"] < 0.97 for s in similar)


def test_duplicate_check_recognises_a_rephrased_existing_case(real_client: TestClient) -> None:
    body = {
        "title": "Centrale d'achat numérique du Val d'Oise pour les petites communes",
        "summary": "Le syndicat mixte achète des solutions numériques pour ses petites communes.",
    }
    items = real_client.post("/api/v1/case-studies/check-duplicates", json=body).json()["items"]
    assert items and ("Val d'Oise" in items[0]["case"]["title"] or "Val-d'Oise" in items[0]["case"]["title"])
    unrelated = {
        "title": "Capteurs de crues sur les rivières",
        "summary": "Alerter les riverains des inondations.",
    }
    flagged = real_client.post("/api/v1/case-studies/check-duplicates", json=unrelated).json()["items"]
    assert all(i["level"] != "probable" for i in flagged)


def _search(client: TestClient, q: str, **params: str | int) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("need", "answers"),
    [
        ("small towns buying software together", ("Val d'Oise", "Val-d'Oise")),  # English, not in the dev set
        ("cooling streets during heatwaves", ("Plus fraîche ma ville",)),  # English
        ("reducir el desperdicio de comida en los comedores escolares", ("Anti-Gaspi-Cantine", "Rest'0")),
        # Spanish; the ANCT investigation on collective composters answers it too
        ("compostaje colectivo al pie de los edificios", ("Au Compost Mitoyen", "composteurs collectifs")),
        ("avisar a las personas alérgicas cuando hay mucho polen en el aire", ("Lify-Air",)),  # Spanish
        ("Hitze in der Stadt: Straßen begrünen und beschatten", ("Plus fraîche ma ville",)),  # German
    ],
)
def test_foreign_needs_find_their_french_case_in_top_3(
    real_client: TestClient, need: str, answers: tuple[str, ...]
) -> None:
    titles = _titles(real_client, need)
    assert any(a in t for t in titles[:3] for a in answers), titles[:5]


def test_same_query_same_ranking_and_total(real_client: TestClient) -> None:
    runs = [_search(real_client, "réduire le gaspillage à la cantine", page_size=50) for _ in range(3)]
    assert len({r["total"] for r in runs}) == 1
    assert len({tuple(i["case"]["id"] for i in r["items"]) for r in runs}) == 1
    # A floored total: the cases that answer, not a fixed share of the collection.
    assert 0 < runs[0]["total"] < 60, runs[0]["total"]
    scores = [i["score"] for i in runs[0]["items"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_walking_every_page_never_repeats_or_skips_a_case(real_client: TestClient) -> None:
    q = "aider les habitants âgés avec les démarches en ligne"
    first = _search(real_client, q, page_size=3)
    seen = [i["case"]["id"] for i in first["items"]]
    nxt = first["next"]
    while nxt:
        page = _search(real_client, q, page_size=3, cursor=nxt)
        assert page["total"] == first["total"]
        seen += [i["case"]["id"] for i in page["items"]]
        nxt = page["next"]
    assert len(seen) == len(set(seen)) == first["total"]


def test_nonsense_finds_nothing_and_the_page_shows_suggestions(real_client: TestClient) -> None:
    assert _search(real_client, "xkqzvbtw plorf")["total"] == 0
    page = real_client.get("/recherche", params={"q": "xkqzvbtw plorf"})
    assert page.status_code == 200
    assert "Aucune expérience trouvée" in page.text and "Quelques pistes" in page.text


@pytest.mark.parametrize(
    "need",
    [
        # None of these is a phrase of the event: they say what it is about in other words (and not in
        # the words of the test events other modules leave in the database: tables rondes, data, Paris).
        "rencontre où des start-ups sont auditionnées pour un concours régional",
        "une grande ville présente son compte citoyen en ligne bâti sur un logiciel libre",
    ],
)
def test_an_event_is_found_by_meaning(real_client: TestClient, need: str) -> None:
    """The seeded Paris step of 2019 answers a need that describes it, as an event next to the cases."""
    events = _search(real_client, need)["events"]
    assert events and events[0]["title"] == "IntercoTOUR 2019 : étape de Paris", events
    assert events[0]["type"] == "event" and "<mark>" in events[0]["snippet"]
