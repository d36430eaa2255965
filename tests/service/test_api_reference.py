"""Reading territories, organisations, software and themes through /api/v1."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_territory_prefix_search_finds_draguignan_with_its_epci(client: TestClient) -> None:
    response = client.get("/api/v1/territories", params={"q": "Dragui"})
    assert response.status_code == 200
    body = response.json()
    first = body["items"][0]
    assert first["name"] == "Draguignan"
    assert first["population"] > 30_000
    assert first["epci"]["name"].startswith("CA Dracénie Provence Verdon")
    assert set(body) == {"items", "total", "next"}


def test_territory_search_ignores_accents_and_case(client: TestClient) -> None:
    names = [t["name"] for t in client.get("/api/v1/territories", params={"q": "EVRE"}).json()["items"]]
    assert "Évreux" in names


def test_territory_search_by_postal_code_and_code(client: TestClient) -> None:
    by_postal = client.get("/api/v1/territories", params={"q": "83300"}).json()["items"]
    assert any(t["code"] == "83050" for t in by_postal)
    assert client.get("/api/v1/territories/83050").json()["name"] == "Draguignan"
    var = client.get("/api/v1/territories/83").json()
    assert (var["name"], var["kind"]) == ("Var", "departement")


def test_territory_pagination_walks_every_result_once(client: TestClient) -> None:
    seen: list[str] = []
    params = {"q": "saint", "limit": 100, "kind": "commune"}
    first = client.get("/api/v1/territories", params=params).json()
    total, page = first["total"], first
    while True:
        seen.extend(t["code"] for t in page["items"])
        if not page["next"] or len(seen) >= 400:
            break
        page = client.get("/api/v1/territories", params={**params, "cursor": page["next"]}).json()
    assert total > 400
    assert len(seen) == len(set(seen)) == 400


def test_unknown_territory_is_a_clear_404(client: TestClient) -> None:
    response = client.get("/api/v1/territories/99999")
    assert response.status_code == 404
    assert "99999" in response.json()["detail"]


def test_bad_cursor_is_a_422_naming_the_field(client: TestClient) -> None:
    response = client.get("/api/v1/software", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_software_themes_and_organisations_are_listed(client: TestClient) -> None:
    software = client.get("/api/v1/software", params={"q": "Démarches"}).json()["items"]
    ds = next(s for s in software if s["name"] == "Démarches simplifiées")
    assert ds["sill_id"] == 205
    assert ds["comptoir_url"].endswith("/136")
    themes = client.get("/api/v1/themes").json()
    assert any(t["slug"] == "achats-mutualisation" for t in themes)
    orgs = client.get("/api/v1/organisations", params={"limit": 5}).json()
    assert orgs["total"] > 100 and len(orgs["items"]) == 5 and orgs["next"]
