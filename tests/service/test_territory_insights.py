"""What a territory does on Retex, on the real seeded data: its profile, experiences from similar
territories, the mutualisation finder, the fit of a case, who uses a software, the search boost."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.organisations.models import Organisation
from service.software.models import Software, SoftwareUsage
from service.territories.models import Territory
from service.territory_insights.mutualisation import RELATION_ORDER

API = "/api/v1"
VAL_DOISE_CASE_SLUG = "val-d-oise-centrale-achat-numerique"
BUTRY = "95120"  # Butry-sur-Oise, 2 252 inhabitants, in the Val-d'Oise
DRAGUIGNAN = "83050"
VIDAUBAN = "83148"  # in Draguignan's EPCI (CA Dracénie Provence Verdon Agglomération)


@pytest.fixture
def indexed(client: TestClient, app: FastAPI) -> Iterator[TestClient]:
    app.state.outbox_worker.run_until_idle()
    yield client


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}{path}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def case_id(session: Session, slug: str) -> int:
    found = session.scalar(select(CaseStudy.id).where(CaseStudy.slug == slug))
    assert found is not None
    return found


# --- profile -------------------------------------------------------------------------------------


def test_profile_of_paris_joins_official_data_and_retex_activity(
    indexed: TestClient, session: Session
) -> None:
    body = get(indexed, "/territories/75056/profile", include_vector="true")
    assert body["territory"]["name"] == "Paris"
    assert body["population_band"]["slug"] == "gt-200k"
    assert body["rural_class"] == "urbain"
    assert body["epci"]["name"] == "Métropole du Grand Paris" and body["epci"]["epci_form"] == "METRO"
    assert body["departement"]["code"] == "dep-75" and body["region"]["name"] == "Île-de-France"
    assert [o["name"] for o in body["organisations"]] == ["Ville de Paris"]
    owned = {c["slug"] for c in body["cases_owned"]}
    # The two demo write-ups, and Paris's code forge (Lutèce) from data-codes-sources-fr.
    assert owned == {
        "paris-monparis-lutece",
        "paris-datacentre-sobriete-donnees",
        "code-source-lutece-secteur-public",
    }
    assert {c["slug"] for c in body["cases_concerned"]} == owned
    assert {"services-en-ligne", "logiciels-libres"} <= {t["slug"] for t in body["themes"]}
    lutece = next(s for s in body["software"] if s["software"]["name"] == "Lutèce")
    assert "case" in lutece["via"] and lutece["case_ids"]
    vector = np.asarray(body["thematic"]["vector"])
    assert body["thematic"]["cases"] >= 2 and float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-4)


def test_profile_of_a_commune_lists_its_epci_partners(indexed: TestClient, session: Session) -> None:
    body = get(indexed, f"/territories/{DRAGUIGNAN}/profile")
    draguignan = session.scalar(select(Territory).where(Territory.code == DRAGUIGNAN))
    assert draguignan is not None
    partners = session.scalar(
        select(func.count(Territory.id)).where(Territory.parent_epci_id == draguignan.parent_epci_id)
    )
    assert len(body["epci_members"]) == partners - 1  # type: ignore[operator]
    assert DRAGUIGNAN not in {m["code"] for m in body["epci_members"]}
    concerned = set(
        session.scalars(
            select(CaseStudy.id).where(
                CaseStudy.publication_state == PublicationState.published,
                CaseStudy.territories.any(Territory.code == DRAGUIGNAN),
            )
        )
    )
    assert len(concerned) >= 3  # three seeded cases; other tests may add some
    assert {c["id"] for c in body["cases_concerned"]} == concerned
    owned = set(  # published by one of its organisations (the ANCT investigations of the commune)
        session.scalars(
            select(CaseStudy.id)
            .join(Organisation, CaseStudy.organisation_id == Organisation.id)
            .where(
                CaseStudy.publication_state == PublicationState.published,
                Organisation.territory_id == draguignan.id,
            )
        )
    )
    assert {c["id"] for c in body["cases_owned"]} == owned
    assert body["thematic"]["vector"] is None  # only with include_vector=true
    assert body["rural_class"] == "urbain" and body["population_band"]["slug"] == "10k-50k"


def test_profile_of_an_epci_lists_its_members(indexed: TestClient) -> None:
    body = get(indexed, "/territories/200069193/profile")  # CC de la Dombes
    assert body["rural_class"] == "rural"
    assert len(body["epci_members"]) > 10
    assert all(m["epci"]["code"] == "200069193" for m in body["epci_members"])


# --- experiences from similar territories -----------------------------------------------------------


def test_experiences_come_from_ranked_peers_with_reasons(indexed: TestClient) -> None:
    body = get(indexed, "/territories/95351/experiences", limit=50)  # Louvres has a case of its own
    assert body["items"] and body["total"] >= len(body["items"])
    scores = [i["peer"]["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    for item in body["items"]:
        assert item["case"]["publication_state"] == "published"
        assert item["peer"]["explanation"]
        assert item["peer"]["territory"]["code"] != "95351"
        codes = {t["code"] for t in item["case"]["territories"]}
        assert "95351" not in codes
    first = body["items"][0]["peer"]["territory"]
    assert first["kind"] == "commune", "a commune's closest peers with experiences are communes"


def test_experiences_unknown_territory(indexed: TestClient) -> None:
    response = indexed.get(f"{API}/territories/00000/experiences")
    assert response.status_code == 404 and "« 00000 »" in response.json()["detail"]


# --- mutualisation -----------------------------------------------------------------------------------


def test_mutualisation_by_theme_finds_the_val_doise_pooled_purchasing(
    indexed: TestClient, session: Session
) -> None:
    body = get(indexed, f"/territories/{BUTRY}/mutualisation", theme="achats-mutualisation")
    first = body["items"][0]
    assert first["territory"]["code"] == "dep-95" and first["relation"] == "own_departement"
    assert first["state"] == "solved"
    assert [c["slug"] for c in first["cases"]] == [VAL_DOISE_CASE_SLUG]
    assert "Val-d'Oise, votre département, a déjà répondu à ce besoin" in first["explanation"]
    assert first["cases"][0]["title"] in first["explanation"]


def test_mutualisation_by_words(indexed: TestClient) -> None:
    body = get(indexed, f"/territories/{BUTRY}/mutualisation", q="acheter des logiciels à plusieurs communes")
    slugs = {c["slug"] for item in body["items"] for c in item["cases"]}
    assert VAL_DOISE_CASE_SLUG in slugs
    assert all(i["territory"]["departement_code"] == "95" for i in body["items"])


def test_mutualisation_puts_the_epci_partner_first_and_says_why(
    indexed: TestClient, app: FastAPI, admin_headers: dict[str, str], session: Session
) -> None:
    word = uuid.uuid4().hex[:8]
    created = indexed.post(
        f"{API}/case-studies",
        json={
            "title": f"Vidauban mutualise son logiciel de cantine {word}",
            "summary": "Un logiciel de gestion de la restauration scolaire, déployé dans toutes les écoles.",
            "themes": ["education-jeunesse"],
            "territory_codes": [VIDAUBAN],
            "status": "deployed",
            "publication_state": "published",
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    try:
        app.state.outbox_worker.run_until_idle()
        by_theme = get(
            indexed, f"/territories/{DRAGUIGNAN}/mutualisation", theme="education-jeunesse", scope="epci"
        )
        codes = [i["territory"]["code"] for i in by_theme["items"]]
        vidauban = by_theme["items"][codes.index(VIDAUBAN)]
        assert (vidauban["relation"], vidauban["state"]) == ("same_epci", "solved")
        assert {i["relation"] for i in by_theme["items"]} <= {"own_epci", "same_epci"}
        assert vidauban["explanation"].startswith(
            "Vidauban, membre de votre intercommunalité (CA Dracénie Provence Verdon Agglomération), "
            "a déjà répondu à ce besoin : « Vidauban mutualise son logiciel de cantine"
        )
        by_words = get(indexed, f"/territories/{DRAGUIGNAN}/mutualisation", q=f"logiciel de cantine {word}")
        found = {i["territory"]["code"]: i for i in by_words["items"]}
        assert found[VIDAUBAN]["cases"][0]["id"] == created.json()["id"]
        relations = [i["relation"] for i in by_words["items"]]
        assert relations == sorted(relations, key=RELATION_ORDER.__getitem__), "the EPCI first"
    finally:
        indexed.delete(f"{API}/case-studies/{created.json()['id']}", headers=admin_headers)
        app.state.outbox_worker.run_until_idle()


@pytest.mark.parametrize(
    ("code", "params", "field"),
    [
        (BUTRY, {}, "q"),
        (BUTRY, {"q": "   "}, "q"),
        (BUTRY, {"theme": "inconnu"}, "theme"),
        (BUTRY, {"theme": "open-data", "scope": "france"}, "scope"),
        ("reg-11", {"theme": "open-data"}, "scope"),
        ("dep-95", {"theme": "open-data", "scope": "epci"}, "scope"),
    ],
)
def test_mutualisation_bad_input_names_the_field(
    indexed: TestClient, code: str, params: dict[str, str], field: str
) -> None:
    response = indexed.get(f"{API}/territories/{code}/mutualisation", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


# --- fit of a case for a reader's territory ------------------------------------------------------


def test_fit_of_a_case_led_by_my_departement(indexed: TestClient, session: Session) -> None:
    body = get(indexed, f"/case-studies/{case_id(session, VAL_DOISE_CASE_SLUG)}/fit", territory=BUTRY)
    assert body["score"] == 0.8
    assert (
        body["explanation"]
        == "Proximité 0,80 : menée par votre département (Val-d'Oise), qui englobe Butry-sur-Oise."
    )


REGUSSE = "83102"  # INSEE code of Régusse (Var); 83103 is Le Revest-les-Eaux


def test_fit_of_a_pooled_purchase_for_small_communes_counts_the_communes_it_serves(
    indexed: TestClient, session: Session
) -> None:
    """Régusse (Var, 2 380 hab.) reading the Val-d'Oise purchasing body for « communes de taille modeste »:
    compared with a commune that body serves, not with the département that carries it."""
    body = get(indexed, f"/case-studies/{case_id(session, VAL_DOISE_CASE_SLUG)}/fit", territory=REGUSSE)
    assert body["territory"]["name"] == "Régusse"
    assert body["score"] is not None and body["score"] > 0.3
    best = body["matches"][0]
    assert best["territory"]["kind"] == "commune" and best["territory"]["code"].startswith("95")
    assert "elle sert les communes de moins de 3 500 hab. de Val-d'Oise" in body["explanation"]
    assert best["territory"]["name"] in body["explanation"]


def test_fit_of_a_case_from_a_very_different_territory(indexed: TestClient, session: Session) -> None:
    body = get(indexed, f"/case-studies/{case_id(session, 'paris-monparis-lutece')}/fit", territory="01001")
    assert body["score"] is not None and body["score"] < 0.3
    assert body["matches"][0]["territory"]["code"] == "75056"
    assert "(2\u202f103\u202f778 vs 860 hab.)" in body["explanation"]
    assert body["explanation"].startswith("Proximité 0,")


def test_fit_of_a_case_of_my_own_territory(indexed: TestClient) -> None:
    items = get(indexed, "/case-studies", territory="62080", limit=1)["items"]
    body = get(indexed, f"/case-studies/{items[0]['id']}/fit", territory="62080")
    assert body["score"] == 1.0 and "concerne directement Bapaume" in body["explanation"]


def test_fit_of_a_case_without_territory(indexed: TestClient, session: Session) -> None:
    orphan = session.scalar(
        select(CaseStudy.id)
        .outerjoin(Organisation)
        .where(
            CaseStudy.publication_state == PublicationState.published,
            ~CaseStudy.territories.any(),
            Organisation.territory_id.is_(None),
        )
        .limit(1)
    )
    body = get(indexed, f"/case-studies/{orphan}/fit", territory=DRAGUIGNAN)
    assert body["score"] is None and body["matches"] == []
    assert "aucun territoire" in body["explanation"]


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/case-studies/{id}/fit", {}, 422, "territory"),
        ("/case-studies/{id}/fit", {"territory": "99999"}, 422, "territory"),
        ("/case-studies/99999999/fit", {"territory": DRAGUIGNAN}, 404, None),
    ],
)
def test_fit_bad_input(
    indexed: TestClient, session: Session, path: str, params: dict[str, str], status: int, field: str | None
) -> None:
    url = f"{API}{path.format(id=case_id(session, VAL_DOISE_CASE_SLUG))}"
    response = indexed.get(url, params=params)
    assert response.status_code == status
    if field:
        assert response.json()["errors"][0]["field"] == field


# --- who uses which software -----------------------------------------------------------------------


def test_software_users_from_cases_and_declared_usages(indexed: TestClient, session: Session) -> None:
    lutece = session.scalar(select(Software).where(Software.name == "Lutèce"))
    assert lutece is not None
    users = get(indexed, f"/software/{lutece.id}/users")["items"]
    paris = next(u for u in users if u["organisation"]["name"] == "Ville de Paris")
    assert paris["territory"]["code"] == "75056" and paris["via"] == ["case"] and paris["case_ids"]

    software_id, declared = session.execute(
        select(SoftwareUsage.software_id, func.count(func.distinct(SoftwareUsage.organisation_id)))
        .group_by(SoftwareUsage.software_id)
        .order_by(func.count(func.distinct(SoftwareUsage.organisation_id)).desc())
        .limit(1)
    ).one()
    body = get(indexed, f"/software/{software_id}/users")
    assert body["total"] == declared == len(body["items"])
    assert all("usage" in u["via"] for u in body["items"])
    assert indexed.get(f"{API}/software/99999999/users").status_code == 404


def test_software_links_to_sill_and_comptoir(indexed: TestClient, session: Session) -> None:
    jitsi = session.scalar(select(Software).where(Software.slug == "jitsi"))
    assert jitsi is not None
    body = get(indexed, f"/software/{jitsi.id}")
    assert body["sill_url"] == "https://code.gouv.fr/sill/detail?name=Jitsi"
    assert body["comptoir_url"].startswith("https://comptoir-du-libre.org/fr/softwares/")


# --- search boost ----------------------------------------------------------------------------------


def test_search_for_territory_boosts_cases_of_similar_territories(indexed: TestClient) -> None:
    params = {"q": "commerces locaux centre-ville", "mode": "lexical", "page_size": 50}
    plain = get(indexed, "/search", **params)
    boosted = get(indexed, "/search", **params, for_territory="03310")  # Vichy
    assert boosted["total"] == plain["total"]
    ids = [i["case"]["id"] for i in plain["items"]]
    boosted_ids = [i["case"]["id"] for i in boosted["items"]]
    vichy = next(
        i["case"]["id"] for i in plain["items"] if any(t["code"] == "03310" for t in i["case"]["territories"])
    )
    assert boosted_ids.index(vichy) <= ids.index(vichy)
    plain_scores = {i["case"]["id"]: i["score"] for i in plain["items"]}
    for item in boosted["items"]:
        base = plain_scores.get(item["case"]["id"])
        if base is not None:  # at most +10 %, never less
            assert base <= item["score"] <= base * 1.1 + 1e-9
        if not item["case"]["territories"]:
            assert item["score"] == base


def test_search_for_unknown_territory_names_the_field(indexed: TestClient) -> None:
    response = indexed.get(f"{API}/search", params={"q": "commerce", "for_territory": "99999"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "for_territory"
