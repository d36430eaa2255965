"""Why a search result is close to « mon territoire »: with a territory chosen (a visitor's cookie, a
member's organisation), each result card says it with the fit's own sentence (service/territories/fit.py),
computed for the page shown in one batch — the same text as the case page and the fit API."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy
from service.territories.service import find_by_code
from service.territory_insights.fit import case_fit, cases_fit, load_for_fit
from tests.support.web import drain
from web.my_territory import COOKIE

REGUSSE = "83102"  # INSEE code of Régusse (Var), 2 380 inhabitants
QUERY = "centrale d'achat pour les communes de taille modeste"
VAL_DOISE_CASE_SLUG = "val-d-oise-centrale-achat-numerique"
HX = {"HX-Request": "true"}


@pytest.fixture
def indexed(client: TestClient, app: FastAPI) -> Iterator[TestClient]:
    drain(app)
    yield client
    client.cookies.clear()


def _cards(page: str) -> list[str]:
    return re.findall(r'<li class="card result">(.*?)</li>', page, flags=re.S)


def test_results_say_why_each_case_is_close_to_my_territory(indexed: TestClient) -> None:
    indexed.cookies.set(COOKIE, REGUSSE)
    page = html.unescape(indexed.get("/recherche", params={"q": QUERY}).text)
    cards = [c for c in _cards(page) if "/experiences/" in c]
    assert cards
    val_doise = next(c for c in cards if VAL_DOISE_CASE_SLUG in c)
    why = re.search(r'<p class="why">(.*?)</p>', val_doise, flags=re.S)
    assert why is not None
    text = re.sub(r"<[^>]+>", "", why.group(1))
    assert text.startswith("Pour Régusse — Proximité 0,")
    # The served commune, not the département that carries the project: a small commune like Régusse.
    assert "elle sert les communes de moins de 3\u202f500 hab. de Val-d'Oise" in text
    assert "commune de taille comparable" in text
    # Every card of a case tied to a territory says why (the others have nothing to compare).
    assert sum('class="why"' in c for c in cards) >= len(cards) // 2
    partial = html.unescape(indexed.get("/recherche", params={"q": QUERY}, headers=HX).text)
    assert text in re.sub(r"<[^>]+>", "", partial)  # the HTMX partial says the same


def test_the_card_uses_the_fits_own_sentence(indexed: TestClient, session: Session) -> None:
    """One explainer: the card's sentence is the fit's, batch or one by one."""
    indexed.cookies.set(COOKIE, REGUSSE)
    page = html.unescape(indexed.get("/recherche", params={"q": QUERY}).text)
    reader = find_by_code(session, code=REGUSSE)
    assert reader is not None
    ids = list(session.scalars(select(CaseStudy.id).where(CaseStudy.slug == VAL_DOISE_CASE_SLUG)))
    case = load_for_fit(session, ids)[0]
    one = case_fit(session, None, case=case, territory=reader)
    batch = cases_fit(session, None, cases=load_for_fit(session, ids), territory=reader)[case.id]
    assert one.explanation == batch.explanation
    # The page reads the thematic vectors too; the served commune and its reasons are the same.
    assert one.explanation.split(" : ", 1)[1].split(" ; ")[0] in page


def test_without_a_territory_the_results_say_nothing_of_closeness(indexed: TestClient) -> None:
    page = indexed.get("/recherche", params={"q": QUERY}).text
    assert 'class="why"' not in page and _cards(page)
