"""« Mon territoire » without a browser: the cookie a visitor sets and clears, a member's default from
their organisation, the territory page's order (its experiences, those of comparable territories, then
comparable territories that have some), bad input."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.organisations.models import Organisation
from tests.support.people import People
from tests.support.web import csrf_from, log_in

REGUSSE = "83102"  # INSEE code of Régusse (Var); 83103 is Le Revest-les-Eaux


def _choose(client: TestClient, code: str) -> object:
    token = csrf_from(client.get("/mon-territoire", params={"q": "Régusse"}).text)
    response = client.post(
        "/mon-territoire", data={"csrf_token": token, "code": code}, follow_redirects=False
    )
    return response


def test_a_visitor_sets_and_clears_their_territory(client: TestClient) -> None:
    assert "Choisir mon territoire" in client.get("/experiences").text
    suggestions = client.get("/mon-territoire", params={"q": "Régusse"}).text
    assert "Choisir Régusse" in suggestions  # the plain form's answer, without JavaScript
    response = _choose(client, REGUSSE)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert "HttpOnly" in response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "Mon territoire : Régusse" in client.get("/experiences").text  # every page says it
    token = csrf_from(client.get("/mon-territoire").text)
    client.post("/mon-territoire/oublier", data={"csrf_token": token})
    assert "Choisir mon territoire" in client.get("/experiences").text


def test_an_unknown_territory_is_refused_in_french(client: TestClient) -> None:
    response = _choose(client, "99999")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "choisissez un territoire dans la liste" in response.text  # type: ignore[attr-defined]


def test_a_members_territory_is_their_organisations(
    client: TestClient, people: People, session: Session
) -> None:
    organisation = session.get(Organisation, people.org_id)
    assert organisation is not None
    log_in(client, people.member)
    page = client.get("/mon-territoire").text
    if organisation.territory is not None:
        assert f"Mon territoire : {organisation.territory.name}" in page
        assert "le territoire de votre organisation" in page
    _choose(client, REGUSSE)  # and they may pick another
    assert "Mon territoire : Régusse" in client.get("/mon-territoire").text


def test_the_territory_page_shows_comparable_experiences_and_no_empty_neighbours(client: TestClient) -> None:
    page = client.get(f"/territoires/{REGUSSE}").text
    like = page.index("Expériences de territoires comparables")
    assert page.index('id="cases-title"') < like
    assert "Pourquoi proche" in page[like:]
    cards = page.split('id="comparables-title"', 1)[-1].split("</section>", 1)[0]
    assert "0 expérience" not in cards


def test_the_fit_of_a_pooled_purchase_for_small_communes_counts_the_communes_it_serves(
    client: TestClient,
) -> None:
    """Régusse (2 380 hab.) reading the Val-d'Oise purchasing body for « communes de taille modeste »:
    the case page compares it with a small commune that body serves, not with the département."""
    client.cookies.set("retex_territoire", REGUSSE)
    try:
        page = html.unescape(client.get("/experiences/val-d-oise-centrale-achat-numerique").text)
    finally:
        client.cookies.clear()
    fit = page.split('<section class="fit"', 1)[1].split("</section>", 1)[0]
    score = re.search(r"Proximité (\d+) %", fit)
    assert score is not None and int(score.group(1)) > 30
    assert "elle sert les communes de moins de 3\u202f500 hab. de Val-d'Oise" in fit
    assert "département de taille très différente" not in fit
