"""Similar territories on the real seeded data (34,969 communes, 1,255 EPCI): sizes, EPCI forms and
partners come out as a person expects, and every explanation says only what the database says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState, case_territories
from service.organisations.models import Organisation
from service.territories.codes import departement_key, region_key
from service.territories.features import RURAL_LABELS, rural_class
from service.territories.models import Territory
from service.territories.score import STRUCTURE_WEIGHTS, WEIGHTS

API = "/api/v1/territories"
DRAGUIGNAN = "83050"
ABERGEMENT = "01001"  # L'Abergement-Clémenciat, 860 inhabitants
BIG_CITIES = {"75056", "69123", "13055"}  # Paris, Lyon, Marseille


@pytest.fixture
def ready(client: TestClient, app: FastAPI) -> Iterator[TestClient]:
    """The territory collection is synced in the background at start-up: wait for it once; index the
    cases too (thematic vectors)."""
    assert app.state.territory_index.wait_ready(180), "territory index never became ready"
    app.state.outbox_worker.run_until_idle()
    yield client


def similar(client: TestClient, code: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/{code}/similar", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def territory(session: Session, code: str) -> Territory:
    found = session.scalar(select(Territory).where(Territory.code == code))
    assert found is not None
    return found


def test_index_holds_every_territory(ready: TestClient, app: FastAPI, session: Session) -> None:
    assert app.state.territory_index.index.count() == session.scalar(select(func.count(Territory.id)))


def test_small_commune_never_gets_big_cities(ready: TestClient) -> None:
    body = similar(ready, ABERGEMENT)
    codes = [i["territory"]["code"] for i in body["items"]]
    assert len(codes) == 10 and ABERGEMENT not in codes
    assert not set(codes) & BIG_CITIES
    for item in body["items"]:
        assert item["territory"]["kind"] == "commune"
        assert 860 / 2 <= item["territory"]["population"] <= 860 * 2


def test_draguignan_peers_are_communes_of_comparable_size(ready: TestClient) -> None:
    body = similar(ready, DRAGUIGNAN, limit=20)
    assert body["territory"]["population"] == 40_826
    for item in body["items"]:
        assert item["territory"]["kind"] == "commune"
        assert 40_826 / 2 <= item["territory"]["population"] <= 40_826 * 2, item
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_epci_partners_rank_higher_with_scope_departement(ready: TestClient, session: Session) -> None:
    draguignan = territory(session, DRAGUIGNAN)
    partners = set(
        session.scalars(
            select(Territory.code).where(
                Territory.parent_epci_id == draguignan.parent_epci_id, Territory.id != draguignan.id
            )
        )
    )
    assert partners
    france = [i["territory"]["code"] for i in similar(ready, DRAGUIGNAN, limit=10)["items"]]
    local = similar(ready, DRAGUIGNAN, scope="departement", limit=10)
    local_codes = [i["territory"]["code"] for i in local["items"]]
    assert all(i["territory"]["departement_code"] == "83" for i in local["items"])
    in_france = [c for c in france if c in partners]
    in_local = [c for c in local_codes if c in partners]
    assert len(in_local) >= 3 and len(in_local) > len(in_france)
    assert local_codes[0] in partners, "the closest partner of its own EPCI comes first"
    for item in local["items"]:
        if item["territory"]["code"] in partners:
            assert item["parts"]["geography_level"] == "epci"
            assert "même intercommunalité" in item["explanation"]


@pytest.mark.parametrize(("code", "form"), [("200069193", "CC"), ("200056232", "CA")])
def test_epci_peers_share_its_legal_form_first(ready: TestClient, code: str, form: str) -> None:
    body = similar(ready, code)
    assert body["territory"]["epci_form"] == form
    assert [i["territory"]["epci_form"] for i in body["items"]] == [form] * 10
    assert all(i["territory"]["kind"] == "epci" for i in body["items"])
    assert all("même forme juridique" in i["explanation"] for i in body["items"])


def test_a_region_is_compared_with_regions(ready: TestClient) -> None:
    body = similar(ready, "reg-93", limit=30)
    assert body["items"] and {i["territory"]["kind"] for i in body["items"]} == {"region"}
    assert "reg-93" not in [i["territory"]["code"] for i in body["items"]]


def test_score_is_the_documented_formula(ready: TestClient) -> None:
    for scope in ("france", "departement"):
        weights = WEIGHTS[scope]  # type: ignore[index]
        for item in similar(ready, DRAGUIGNAN, scope=scope)["items"]:
            p = item["parts"]
            structure = (
                STRUCTURE_WEIGHTS["population"] * p["population"]
                + STRUCTURE_WEIGHTS["epci_form"] * p["same_epci_form"]
                + STRUCTURE_WEIGHTS["rural_class"] * p["rural"]
                + STRUCTURE_WEIGHTS["kind"] * p["same_kind"]
            )
            total = (
                weights.structure * structure
                + weights.theme * (p["theme"] or 0)
                + weights.geography * p["geography"]
            )
            assert p["structure"] == pytest.approx(structure, abs=1e-3)
            assert item["score"] == pytest.approx(total, abs=1e-3)


# --- every explanation matches the data it cites --------------------------------------------------

NUMBER = r"\d[\d\u202f\u00a0 ]*"


def as_int(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def published_cases(session: Session, t: Territory) -> list[CaseStudy]:
    concerned = select(case_territories.c.case_study_id).where(case_territories.c.territory_id == t.id)
    owned = select(CaseStudy.id).join(Organisation).where(Organisation.territory_id == t.id)
    return list(
        session.scalars(
            select(CaseStudy).where(
                CaseStudy.publication_state == PublicationState.published,
                CaseStudy.id.in_(concerned.union(owned).scalar_subquery()),
            )
        )
    )


def form_of(t: Territory) -> str | None:
    form = t.epci_form or (t.parent_epci.epci_form if t.parent_epci else None)
    return form.value if form else None


def check_explanation(session: Session, viewer: Territory, peer: Territory, text: str) -> None:
    assert text.strip(), "an explanation is never empty"
    sizes = re.search(rf"\(({NUMBER}) vs ({NUMBER}) hab\.\)", text)
    assert sizes, text
    assert as_int(sizes.group(1)) == peer.population
    assert as_int(sizes.group(2)) == viewer.population
    ratio = max(peer.population, viewer.population) / min(peer.population, viewer.population)  # type: ignore[type-var,operator]
    if "taille comparable" in text:
        assert ratio <= 1.5
    if form := re.search(r"même (?:type d'intercommunalité|forme juridique) \((\w+)\)", text):
        assert form_of(peer) == form_of(viewer) == form.group(1)
    if other := re.search(r"autre (?:type d'intercommunalité|forme juridique) \((\w+) vs (\w+)\)", text):
        assert (form_of(peer), form_of(viewer)) == (other.group(1), other.group(2))
    if profile := re.search(r"même profil (\w+)", text):
        label = profile.group(1)
        for t in (peer, viewer):
            assert RURAL_LABELS[rural_class(t.kind.value, t.population, form_of(t)) or ""] == label
    if epci := re.search(r"même intercommunalité \((.+?)\)(?:,|$)", text):
        assert peer.parent_epci_id == viewer.parent_epci_id
        assert peer.parent_epci is not None and peer.parent_epci.name == epci.group(1)
    if dep := re.search(r"même département \((.+), (\w+)\)", text):
        assert peer.departement_code == viewer.departement_code == dep.group(2)
        assert territory(session, departement_key(dep.group(2))).name == dep.group(1)
    if reg := re.search(r"même région \((.+?)\)(?:,|$)", text):
        assert peer.region_code == viewer.region_code
        assert territory(session, region_key(peer.region_code or "")).name == reg.group(1)
    cases = published_cases(session, peer)
    if themes := re.search(r"a aussi travaillé sur : (.+?)(?:, expériences proches|$)", text):
        labels = {t.label.lower() for c in cases for t in c.themes}
        for cited in themes.group(1).split(", "):
            assert cited.lower() in labels, (cited, labels)
    if count := re.search(r"a publié (\d+) expériences? sur Retex, dont « (.+?) »", text):
        assert int(count.group(1)) == len(cases)
        assert count.group(2) in {c.title for c in cases}
    if not cases:
        assert "a publié" not in text and "a aussi travaillé" not in text


@pytest.mark.parametrize(
    ("code", "params"),
    [
        (DRAGUIGNAN, {}),
        (DRAGUIGNAN, {"scope": "departement"}),
        (ABERGEMENT, {"scope": "region"}),
        ("88160", {"limit": 30}),  # Épinal: has cases, so the thematic term is at work
        ("95351", {"limit": 30}),  # Louvres (a case about its centre-ville)
        ("200069193", {}),  # CC de la Dombes
        ("200056232", {}),  # CA Paris-Saclay (a case with themes)
        ("dep-83", {}),
    ],
)
def test_every_explanation_matches_the_database(
    ready: TestClient, session: Session, code: str, params: dict[str, Any]
) -> None:
    body = similar(ready, code, **params)
    viewer = territory(session, code)
    assert body["items"]
    for item in body["items"]:
        check_explanation(session, viewer, territory(session, item["territory"]["code"]), item["explanation"])


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["similar", "profile", "experiences", "mutualisation?theme=open-data"])
def test_unknown_code_is_a_french_404(ready: TestClient, path: str) -> None:
    response = ready.get(f"{API}/99999/{path}")
    assert response.status_code == 404
    assert response.json()["detail"] == "Aucun territoire avec le code « 99999 »."


def test_wrong_kind_is_refused_with_the_field(ready: TestClient) -> None:
    response = ready.get(f"{API}/reg-93/similar", params={"kind": "commune"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "kind"
    assert "Provence-Alpes-Côte d'Azur est une région" in error["message"]
    # An EPCI may be compared with EPT (both intercommunalities), a commune only with communes.
    assert ready.get(f"{API}/200056232/similar", params={"kind": "ept"}).status_code == 200
    assert ready.get(f"{API}/{DRAGUIGNAN}/similar", params={"kind": "epci"}).status_code == 422


@pytest.mark.parametrize(
    ("code", "params", "field"),
    [
        ("reg-93", {"scope": "region"}, "scope"),
        ("dep-83", {"scope": "departement"}, "scope"),
        (DRAGUIGNAN, {"scope": "monde"}, "scope"),
        (DRAGUIGNAN, {"limit": 0}, "limit"),
        (DRAGUIGNAN, {"limit": 101}, "limit"),
        (DRAGUIGNAN, {"kind": "village"}, "kind"),
    ],
)
def test_bad_parameters_name_the_field(
    ready: TestClient, code: str, params: dict[str, Any], field: str
) -> None:
    response = ready.get(f"{API}/{code}/similar", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_a_departement_code_can_be_typed_bare(ready: TestClient) -> None:
    body = similar(ready, "83")
    assert body["territory"]["code"] == "dep-83"
    assert {i["territory"]["kind"] for i in body["items"]} == {"departement"}


def test_not_ready_answers_503(app: FastAPI, client: TestClient) -> None:
    """While the collection is not built (here: never started), the endpoint asks to retry later."""
    app.state.territory_index._stop.set()
    response = client.get(f"{API}/{DRAGUIGNAN}/similar")
    assert response.status_code == 503
    assert "réessayez dans quelques secondes" in response.json()["detail"]
