"""Pooling bodies (Base Adresse Locale partners) on the real seeded data: their perimeter, and the
mutualisation finder that tells a commune who near it offers shared tools."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.pooling.models import PoolingOffer

API = "/api/v1/territories"
SAINT_MARTIN_DE_RE = "17369"  # CC de l'Île de Ré, Charente-Maritime
ROYAN = "17306"  # CA Royan Atlantique, Charente-Maritime
SOLURIS = (
    "À côté de vous, Géo17 - Soluris met un SIG mutualisé à disposition des communes de Charente-Maritime "
    "(accompagnement technique)."
)


def _offer(session: Session, name_start: str) -> PoolingOffer:
    offers = [o for o in session.scalars(select(PoolingOffer)) if o.organisation.name.startswith(name_start)]
    assert len(offers) == 1, name_start
    return offers[0]


def test_every_body_is_seeded_with_its_perimeter_and_provenance(session: Session) -> None:
    assert session.scalar(select(func.count(PoolingOffer.id))) == 71
    soluris = _offer(session, "Géo17")
    assert [t.code for t in soluris.territories] == ["dep-17"]
    assert (
        soluris.source_attribution == "Base Adresse Nationale — Etalab / ANCT"
        and "MIT" in soluris.source_licence
    )
    megalis = _offer(session, "MEGALIS")
    assert [t.code for t in megalis.territories] == ["dep-22", "dep-29", "dep-35", "dep-56"]
    re = _offer(session, "Communauté de Communes de l’île de Ré")
    assert [t.name for t in re.territories] == ["CC de l'Ile de Ré"]
    assert re.organisation.territory is not None and re.organisation.territory.name == "CC de l'Ile de Ré"
    montargis = _offer(session, "Agglomération Montargoise")  # échelon 2 in the source, but an EPCI
    assert [t.name for t in montargis.territories] == ["CA Montargoise et Rives du Loing (AME)"]
    assert _offer(session, "Pays de Brest").territories == []  # several EPCI: no single perimeter
    empty = [o for o in session.scalars(select(PoolingOffer)) if not o.territories]
    assert len(empty) <= 3


def test_a_commune_learns_who_near_it_offers_shared_tools(client: TestClient) -> None:
    offers = client.get(f"{API}/{SAINT_MARTIN_DE_RE}/pooling").json()
    names = [o["organisation"]["name"] for o in offers]
    assert names == ["Communauté de Communes de l’île de Ré", "Géo17 - Soluris"]
    first, soluris = offers
    assert first["via"]["name"] == "CC de l'Ile de Ré" and first["level"] == "intercommunal"
    assert (
        first["explanation"].startswith("À côté de vous, Communauté de Communes de l’île de Ré met ")
        and "communes membres de CC de l'Ile de Ré" in first["explanation"]
    )
    assert soluris["explanation"] == SOLURIS
    assert soluris["via"] == {"code": "dep-17", "name": "Charente-Maritime", "kind": "departement"}
    assert soluris["provenance"]["url"].startswith("https://github.com/BaseAdresseNationale/")
    royan = [o["organisation"]["name"] for o in client.get(f"{API}/{ROYAN}/pooling").json()]
    assert royan == ["Communauté d’agglomération Royan Atlantique", "Géo17 - Soluris"]


def test_the_mutualisation_finder_lists_them_beside_the_peers(client: TestClient) -> None:
    body = client.get(f"{API}/{ROYAN}/mutualisation", params={"theme": "open-data"}).json()
    assert [o["organisation"]["name"] for o in body["pooling"]][-1] == "Géo17 - Soluris"
    assert body["pooling"][-1]["explanation"] == SOLURIS
    assert client.get(f"{API}/reg-75/pooling").json() == []  # a région has no single perimeter
    assert client.get(f"{API}/00000/pooling").status_code == 404


def test_the_territory_page_shows_them(client: TestClient) -> None:
    html = client.get(f"/territoires/{ROYAN}").text
    assert "Mutualiser près de chez vous" in html
    assert "À côté de vous, Géo17 - Soluris met un SIG mutualisé" in html
    assert "Base Adresse Nationale — Etalab / ANCT" in html
