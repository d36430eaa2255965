"""The HTML pages through the ASGI app (no browser): full pages and HTMX partials, French error pages,
the API's Problem Details left alone, and no 500 whatever the input."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from tests.support.web import drain

HX = {"HX-Request": "true"}


@pytest.fixture
def indexed(client: TestClient, app: FastAPI) -> TestClient:
    drain(app)
    return client


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "Dernières expériences publiées"),
        ("/recherche", "Tapez quelques mots"),
        ("/experiences", "expériences publiées"),
        ("/experiences?theme=open-data", "Open data"),
        ("/experiences/a-just", "A-JUST"),
        ("/territoires", "Tapez le début d'un nom"),
        ("/territoires?q=Dragui", "Draguignan"),
        ("/territoires/83050", "Draguignan"),
        ("/territoires/83", "Var"),
        ("/territoires/dep-83", "Var"),
        ("/territoires/reg-93", "Provence-Alpes-Côte d&#39;Azur"),
        ("/territoires/248300493", "Dracénie"),
        ("/logiciels", "logiciels"),
        ("/logiciels?q=lib", "Libre"),
        ("/logiciels/1", "7zip"),
        ("/discussions", "Discussions"),
        ("/connexion", "Mot de passe oublié"),
        ("/inscription", "Créer un compte"),
        ("/mot-de-passe-oublie", "Recevoir un lien"),
    ],
)
def test_pages_answer_in_french(indexed: TestClient, path: str, expected: str) -> None:
    response = indexed.get(path)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html.startswith("<!doctype html>") and '<html lang="fr">' in html
    assert expected in html
    assert 'role="search"' in html  # the header's search box is on every page
    assert 'href="/docs"' in html  # the footer points at the API
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_search_page_and_its_htmx_partial(indexed: TestClient) -> None:
    page = indexed.get("/recherche", params={"q": "Lutèce portail citoyen Paris"})
    assert page.status_code == 200
    assert "<mark>" in page.text
    assert page.headers["vary"] == "HX-Request"
    partial = indexed.get("/recherche", params={"q": "Lutèce portail citoyen Paris"}, headers=HX)
    assert partial.status_code == 200
    assert "<html" not in partial.text and "<header" not in partial.text
    assert 'id="result-count"' in partial.text and "<mark>" in partial.text
    assert 'id="facet-theme"' in partial.text
    # A history restore asks for the whole page again.
    restore = indexed.get(
        "/recherche", params={"q": "Lutèce"}, headers={**HX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_search_filters_pagination_and_counts(indexed: TestClient) -> None:
    html = indexed.get("/recherche", params={"q": "données ouvertes", "theme": "open-data"}).text
    assert re.search(r'id="f-theme-open-data"[^>]*checked', html)
    assert "avec 1 filtre" in html
    page2 = indexed.get("/recherche", params={"q": "données ouvertes", "page": "2"}).text
    assert "Page 2 sur" in page2 and 'rel="prev"' in page2


def test_snippet_is_the_only_unescaped_field(indexed: TestClient) -> None:
    # The search box echoes the query everywhere, always escaped.
    html = indexed.get("/recherche", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_cases_list_partial(indexed: TestClient) -> None:
    partial = indexed.get("/experiences", params={"status": "pilot"}, headers=HX)
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "Expérimentation" in partial.text


def test_territory_autocomplete_partials(indexed: TestClient) -> None:
    partial = indexed.get("/territoires", params={"q": "saint-e"}, headers=HX).text
    assert "<html" not in partial and "Saint-Étienne" in partial
    picker = indexed.get("/territoires", params={"q": "Dragui", "pour": "formulaire"}, headers=HX).text
    assert 'data-add-code="83050"' in picker


def test_drafts_are_not_shown_to_visitors(indexed: TestClient, session: Session) -> None:
    case = session.scalars(
        select(CaseStudy).where(CaseStudy.publication_state == PublicationState.published).limit(1)
    ).one()
    case.publication_state = PublicationState.draft
    session.commit()
    try:
        assert indexed.get(f"/experiences/{case.slug}").status_code == 404
    finally:
        case.publication_state = PublicationState.published
        session.commit()


def test_french_error_pages_and_api_problem_details(client: TestClient) -> None:
    missing = client.get("/experiences/nexiste-pas")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert "Aucune expérience" in missing.text and '<html lang="fr">' in missing.text
    assert client.get("/pas/de/page").status_code == 404
    assert "Page introuvable" in client.get("/pas/de/page").text
    api = client.get("/api/v1/case-studies/by-slug/nexiste-pas")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/nope").headers["content-type"] == "application/problem+json"
    assert client.post("/experiences").status_code == 405
    assert "Action impossible" in client.post("/experiences").text


def test_500_is_a_french_page(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.casestudies import listing

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(listing, "latest_cases", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/")
    assert response.status_code == 500
    assert "Erreur inattendue" in response.text and "boom" not in response.text


BAD_GETS = [
    "/recherche?q=" + "x" * 5000,
    "/recherche?q=%00%ff",
    "/recherche?q=test&page=abc&par_page=-3",
    "/recherche?q=test&page=999999999999999999999",
    "/recherche?q=test&year=20x4&year=99999&status=bogus&territory_kind=planet&population_band=x",
    "/recherche?q=test&theme=" + "t" * 500,
    "/recherche?q=test&" + "&".join(f"theme=t{i}" for i in range(200)),
    "/recherche?q=%20%20%20",
    "/experiences?page=-1&status=%3Cscript%3E&theme=nope",
    "/experiences/" + "x" * 3000,
    "/experiences/%3Cscript%3E",
    "/territoires?q=" + "%C3%A9" * 300,
    "/territoires?q=2A&type=nope",
    "/territoires/%00",
    "/territoires/83%00",
    "/territoires?q=83%00",
    "/experiences/%00",
    "/experiences/a-just%00/modifier",
    "/territoires/" + "9" * 50,
    "/logiciels/abc",
    "/logiciels/99999999999999999999",
    "/logiciels/-1",
    "/logiciels?page=zz&q=%ff",
    "/connexion?suivant=//evil.example",
]


@pytest.mark.parametrize("path", BAD_GETS)
def test_bad_input_never_answers_500(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500, response.text[:300]
    assert "text/html" in response.headers["content-type"]


def test_login_refuses_open_redirects(client: TestClient) -> None:
    html = client.get("/connexion", params={"suivant": "https://evil.example/"}).text
    assert 'name="suivant" value="/compte"' in html
