"""Code published by local authorities (etalab/data-codes-sources-fr) on the real seeded data: forges
tied to their authority and its territory, repositories tied to catalogue software, Lutèce published by
Paris (API and software page)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.publiccode.models import CodeForge, CodeRepository
from service.software.models import Software

API = "/api/v1"


def _software_id(session: Session, name: str) -> int:
    found = session.scalar(select(Software.id).where(Software.name == name))
    assert found is not None, name
    return found


def test_forges_and_repositories_are_tied_to_their_authority(session: Session) -> None:
    assert session.scalar(select(func.count(CodeForge.id))) == 10
    assert session.scalar(select(func.count(CodeRepository.id))) == 318
    lutece = session.scalar(select(CodeForge).where(CodeForge.login == "lutece-secteur-public"))
    assert lutece is not None and lutece.organisation.name == "Ville de Paris"
    assert lutece.organisation.territory is not None and lutece.organisation.territory.code == "75056"
    assert lutece.source_licence == "Licence Ouverte 2.0" and lutece.source_url.startswith(
        "https://github.com/etalab/"
    )
    erasme = session.scalar(select(CodeForge).where(CodeForge.login == "erasme"))
    assert erasme is not None and erasme.organisation.territory is not None
    assert erasme.organisation.territory.name == "Métropole de Lyon"


def test_lutece_shows_paris_as_its_publisher(client: TestClient, session: Session) -> None:
    lutece = _software_id(session, "Lutèce")
    publishers = client.get(f"{API}/software/{lutece}/publishers").json()
    assert len(publishers) == 1
    paris = publishers[0]
    assert paris["organisation"]["name"] == "Ville de Paris"
    assert paris["territory"] == {"code": "75056", "name": "Paris", "kind": "commune"}
    assert paris["forge"] == "lutece-secteur-public" and paris["repositories"] == 134 and paris["forks"] == 1
    assert paris["provenance"]["attribution"].startswith("DINUM / Etalab")
    html = client.get(f"/logiciels/{lutece}").text
    assert "Qui le publie" in html and "Publié par" in html and "Ville de Paris" in html
    assert "134 dépôts" in html and "1 copie (fork)" in html


def test_a_fork_does_not_make_a_publisher(client: TestClient, session: Session) -> None:
    decidim = _software_id(session, "Decidim")
    [nanterre] = client.get(f"{API}/software/{decidim}/publishers").json()
    assert nanterre["organisation"]["name"] == "Ville de Nanterre"
    assert nanterre["repositories"] == 0 and nanterre["forks"] == 1
    assert "Copie tenue par" in client.get(f"/logiciels/{decidim}").text


def test_repositories_filter_by_forge_territory_and_software(client: TestClient, session: Session) -> None:
    forges = {f["login"]: f for f in client.get(f"{API}/code-forges").json()}
    assert len(forges) == 10 and forges["lutece-secteur-public"]["repositories"] == 135
    assert forges["datalocale"]["territory"]["code"] == "dep-33"
    paris = client.get(f"{API}/code-repositories", params={"territory": "75056", "limit": 100}).json()
    assert paris["total"] == 135 and paris["next"]
    second = client.get(
        f"{API}/code-repositories", params={"territory": "75056", "cursor": paris["next"], "limit": 100}
    ).json()
    assert len(paris["items"]) + len(second["items"]) == 135
    assert {i["software"]["name"] for i in paris["items"]} == {"Lutèce"}
    erasme = client.get(f"{API}/code-repositories", params={"forge": "erasme"}).json()
    assert erasme["total"] == 48 and all(
        i["organisation"]["name"] == "Métropole de Lyon" for i in erasme["items"]
    )
    decidim = _software_id(session, "Decidim")
    found = client.get(f"{API}/code-repositories", params={"software": decidim}).json()
    assert [i["url"] for i in found["items"]] == ["https://github.com/nanterre/decidim"]


def test_bad_input_is_refused(client: TestClient) -> None:
    assert client.get(f"{API}/code-repositories", params={"forge": "inconnue"}).status_code == 422
    assert client.get(f"{API}/code-repositories", params={"territory": "00000"}).status_code == 422
    assert client.get(f"{API}/code-repositories", params={"software": "0"}).status_code == 422
    assert client.get(f"{API}/software/999999/publishers").status_code == 404


def test_the_territory_page_names_the_forge_of_its_authority(client: TestClient) -> None:
    html = client.get("/territoires/75056").text
    assert "Code publié" in html and "LUTECE Secteur Public" in html and "135 dépôts" in html
    assert "Code publié" not in client.get("/territoires/02013").text
