"""Funded digital projects (DGCL grants) on the real seeded data: the records and their provenance, the
filtered and paginated API, the territory page, "what territories like mine did", and the draft a
member turns one into."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.funding.classifier import DigitalCategory, classify
from service.funding.models import FundedProject
from tests.support.people import People

API = "/api/v1/funded-projects"
AMIFONTAINE = "02013"  # 391 inhabitants (Aisne): three digital projects funded by the DETR


def test_only_digital_projects_are_seeded_with_their_provenance(session: Session) -> None:
    total = session.scalar(select(func.count(FundedProject.id))) or 0
    assert 3_800 <= total <= 4_500
    linked = session.scalar(
        select(func.count(FundedProject.id)).where(FundedProject.territory_id.is_not(None))
    )
    assert (linked or 0) / total > 0.9
    for project in session.scalars(select(FundedProject).limit(200)):
        assert classify(project.title) is DigitalCategory(project.category)
        assert project.source_name.startswith("DGCL")
        assert str(project.year) in project.source_attribution
        assert project.source_url.startswith("https://github.com/betagouv/")
        assert project.source_licence and project.source_date == str(project.year)


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Logiciel informatique du secrétariat de mairie", DigitalCategory.administration),
        ("Refonte du site internet de la mairie", DigitalCategory.services),
        ("Informatisation des écoles", DigitalCategory.ecoles),
        ("Déploiement de la couverture wifi dans les collèges du département", DigitalCategory.connectivite),
        ("Installation d'un système de vidéoprotection", DigitalCategory.videoprotection),
        ("Création d'un espace numérique à la mairie", DigitalCategory.inclusion),
        ("Hot spots wifi du centre-bourg", DigitalCategory.connectivite),
        ("Réfection de la toiture de la mairie", None),
        ("Relocalisation du bureau d'information touristique", None),
        ("Création d'une maison France Services", None),
        ("Enfouissement des réseaux et fibre optique rue de la Gare", None),
    ],
)
def test_classifier_rules(title: str, category: DigitalCategory | None) -> None:
    assert classify(title) is category


def test_a_small_commune_lists_its_funded_projects(client: TestClient) -> None:
    body = client.get(API, params={"territory": AMIFONTAINE}).json()
    assert body["total"] == 3
    titles = {p["title"] for p in body["items"]}
    assert "Materiels informatique pour la mairie" in titles
    first = body["items"][0]
    assert first["territory"] == {"code": AMIFONTAINE, "name": "Amifontaine", "kind": "commune"}
    assert first["scheme"] == "DETR" and first["scheme_label"].startswith("Dotation d'équipement")
    assert first["provenance"]["attribution"].startswith("DGCL") and first["provenance"]["licence"]
    assert first["grant_eur"] > 0 and first["cost_eur"] >= first["grant_eur"]
    assert client.get(f"{API}/{first['id']}").json() == first


def test_filters_combine_and_the_cursor_walks_every_page(client: TestClient, session: Session) -> None:
    expected = session.scalar(
        select(func.count(FundedProject.id)).where(
            FundedProject.departement_code == "19", FundedProject.year == 2019
        )
    )
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"departement": "19", "year": 2019, "limit": 7}
    while True:
        page = client.get(API, params=params).json()
        items += page["items"]
        if not page["next"]:
            break
        params["cursor"] = page["next"]
    assert len(items) == expected and expected and expected > 7
    assert len({i["id"] for i in items}) == len(items)
    assert all(i["departement_code"] == "19" and i["year"] == 2019 for i in items)
    schools = client.get(API, params={"departement": "19", "year": 2019, "category": "ecoles"}).json()
    assert 0 < schools["total"] < expected
    assert all(i["category"] == "ecoles" for i in schools["items"])
    region = client.get(API, params={"region": "75", "limit": 5}).json()  # Nouvelle-Aquitaine holds the 19
    assert region["total"] > expected


def test_text_filter_ignores_accents_and_case(client: TestClient) -> None:
    plain = client.get(API, params={"q": "videoprotection", "departement": "83"}).json()
    accented = client.get(API, params={"q": "VIDÉOPROTECTION", "departement": "83"}).json()
    assert plain["total"] == accented["total"] > 0
    assert client.get(API, params={"q": "!!!"}).json()["total"] == 0
    both = client.get(API, params={"q": "tableau numérique", "limit": 50}).json()
    assert both["total"] > 0
    assert all("tableau" in i["title"].lower() and "num" in i["title"].lower() for i in both["items"])


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"year": "deux-mille"}, 422),
        ({"year": "1900"}, 422),
        ({"category": "jardinage"}, 422),
        ({"territory": "99999"}, 422),
        ({"cursor": "pas-un-curseur"}, 422),
        ({"limit": "0"}, 422),
    ],
)
def test_bad_filters_are_refused_in_french(client: TestClient, params: dict[str, Any], status: int) -> None:
    response = client.get(API, params=params)
    assert response.status_code == status, response.text
    assert client.get(f"{API}/999999999").status_code == 404


def test_territory_page_shows_what_it_funded(client: TestClient) -> None:
    html = client.get(f"/territoires/{AMIFONTAINE}").text
    assert "Ce que ce territoire a financé" in html
    assert "Materiels informatique pour la mairie" in html
    assert "3 projets numériques ont" in html
    assert "DGCL" in html and "exercice 2019" in html
    assert "Raconter ce projet" not in html  # only for people who may write


def test_territories_like_mine_count_their_funded_projects(client: TestClient) -> None:
    body = client.get(f"/api/v1/territories/{AMIFONTAINE}/experiences", params={"limit": 5}).json()
    assert body["funded_total"] > 3_000
    assert len(body["funded_projects"]) == 5
    codes = [f["peer"]["territory"]["code"] for f in body["funded_projects"]]
    assert AMIFONTAINE not in codes
    assert all(f["peer"]["territory"]["kind"] == "commune" for f in body["funded_projects"][:3])
    local = client.get(
        f"/api/v1/territories/{AMIFONTAINE}/experiences", params={"limit": 5, "scope": "departement"}
    ).json()
    assert 0 < local["funded_total"] < body["funded_total"]
    assert all(f["project"]["departement_code"] == "02" for f in local["funded_projects"])


def test_a_verified_member_turns_a_funded_project_into_a_draft(
    client: TestClient, people: People, session: Session
) -> None:
    params = {"territory": AMIFONTAINE, "year": 2019, "category": "administration"}
    project = client.get(API, params=params).json()
    project_id = project["items"][0]["id"]
    assert client.post(f"{API}/{project_id}/draft").status_code == 401
    assert client.post(f"{API}/{project_id}/draft", headers=people.headers("unverified")).status_code == 403
    response = client.post(f"{API}/{project_id}/draft", headers=people.headers("member"))
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["publication_state"] == "draft"
    assert case["title"] == "Materiels informatique pour la mairie"
    assert "Amifontaine a mené ce projet en 2019" in case["summary"]
    assert case["budget_eur"] == 3859 and case["funding"] == "DETR 2019 : 1\u202f737 €"
    assert [t["code"] for t in case["territories"]] == [AMIFONTAINE]
    stored = session.get(CaseStudy, case["id"])
    assert stored is not None and stored.publication_state is PublicationState.draft
    assert client.post(f"{API}/999999999/draft", headers=people.headers("member")).status_code == 404


def test_the_publish_form_is_prefilled_from_a_funded_project(client: TestClient, people: People) -> None:
    from tests.support.web import log_in

    project_id = client.get(API, params={"territory": AMIFONTAINE, "category": "administration"}).json()[
        "items"
    ][0]["id"]
    assert client.get(f"/publier?projet-finance={project_id}", follow_redirects=False).status_code == 303
    log_in(client, people.member)
    html = client.get(f"/territoires/{AMIFONTAINE}").text
    assert f"/publier?projet-finance={project_id}" in html
    form = client.get(f"/publier?projet-finance={project_id}").text
    assert 'value="Materiels informatique pour la mairie"' in form
    assert "Amifontaine a mené ce projet en 2019" in form and 'value="02013"' in form
    assert client.get("/publier?projet-finance=abc").status_code == 200  # lenient: an empty form
    assert client.get("/publier?projet-finance=999999999").status_code == 404


def test_open_data_exports_carry_the_provenance(client: TestClient) -> None:
    import csv
    import io
    import json

    lines = client.get(
        "/api/v1/exports/funded-projects.jsonl", params={"territory": AMIFONTAINE}
    ).text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 3 and {r["territory_code"] for r in rows} == {AMIFONTAINE}
    assert all(r["source_attribution"].startswith("DGCL") and r["source_licence"] for r in rows)
    response = client.get("/api/v1/exports/funded-projects.csv", params={"departement": "19", "year": 2019})
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    listed = client.get(API, params={"departement": "19", "year": 2019}).json()["total"]
    assert len(table) == listed and table[0]["source_url"].startswith("https://github.com/betagouv/")
    assert client.get("/api/v1/exports/funded-projects.csv", params={"year": "x"}).status_code == 422


def test_comparable_territories_show_how_many_projects_they_funded(session: Session) -> None:
    from service.funding.service import counts_by_territory
    from service.territories.models import Territory

    amifontaine = session.scalar(select(Territory.id).where(Territory.code == AMIFONTAINE))
    paris = session.scalar(select(Territory.id).where(Territory.code == "75056"))
    assert amifontaine is not None and paris is not None
    assert counts_by_territory(session, [amifontaine, paris]) == {amifontaine: 3}
    assert counts_by_territory(session, []) == {}
