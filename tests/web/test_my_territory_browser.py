"""« Mon territoire » and « Mes expériences » in a real browser (Chromium): an anonymous visitor picks
Régusse and sees what comparable territories did and why, and why each search result is close; a member
saves a draft, finds it in « Mes expériences », submits it and withdraws it. axe-core at desktop and
phone widths; screenshots for the docs (docs/screenshots/)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.browser import axe_violations, browser_log_in, docs_screenshot, new_page
from tests.support.people import People

SEARCH_Q = "centrale d'achat pour les communes de taille modeste"
VIEWPORTS = (("bureau", {"width": 1280, "height": 900}), ("mobile", {"width": 390, "height": 844}))


def _pick_regusse(page: Any) -> None:
    page.goto("/mon-territoire")
    page.get_by_label("Nom ou code postal").fill("Régusse")
    page.get_by_role("button", name="Choisir Régusse").click()  # suggested while typing (HTMX)
    page.wait_for_url("**/mon-territoire")


def test_an_anonymous_visitor_picks_regusse_and_sees_comparable_experiences(page: Any) -> None:
    page.goto("/", timeout=60_000)  # the first page of a cold server
    page.get_by_role("link", name="Choisir mon territoire").click()
    _pick_regusse(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Mon territoire : Régusse"
    assert page.get_by_role("link", name="Mon territoire : Régusse").count() == 1  # on every page
    cards = page.locator(".my-experiences li")
    assert cards.count() >= 3
    first = cards.first.inner_text()
    assert "Pourquoi proche" in first and "hab." in first  # the reason names the size compared
    docs_screenshot(page, "mon-territoire-regusse")
    page.goto(f"/recherche?q={SEARCH_Q}")
    why = page.locator(".results-list .why")
    assert why.count() >= 1
    assert why.first.inner_text().startswith("Pour Régusse — Proximité")  # why this result is close
    # A pooled purchase for small communes, carried by a département: close to Régusse through the
    # communes it serves, and the fit says which.
    page.goto("/experiences/val-d-oise-centrale-achat-numerique")
    served = page.locator("section.fit").inner_text()
    assert "Proximité 0 %" not in served and "elle sert les communes" in served
    page.goto("/mon-territoire")
    cards.first.get_by_role("link").first.click()
    fit = page.locator("section.fit")
    assert "Pour Régusse" in fit.inner_text() and "Proximité" in fit.inner_text()
    page.goto("/mon-territoire")
    page.get_by_role("button", name="Oublier mon territoire").click()
    assert page.get_by_role("link", name="Choisir mon territoire").count() == 1
    assert page.locator(".my-experiences").count() == 0


def test_the_picker_works_without_javascript(browser: Any, live_server: str) -> None:
    page = new_page(browser, live_server, java_script_enabled=False)
    try:
        page.goto("/mon-territoire")
        page.get_by_label("Nom ou code postal").fill("Régusse")
        page.get_by_role("button", name="Chercher", exact=True).click()
        page.get_by_role("button", name="Choisir Régusse").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Mon territoire : Régusse"
    finally:
        page.context.close()


def test_a_member_saves_finds_submits_and_withdraws_a_draft(page: Any, people: People) -> None:
    title = f"Bornes de prêt de livres {uuid.uuid4().hex[:6]}"
    browser_log_in(page, people.member, next_path="/publier")
    page.get_by_label("Titre").first.fill(title)
    page.get_by_label("Résumé").first.fill(
        "Des bornes en libre-service dans trois hameaux, gérées par la bibliothèque."
    )
    page.get_by_role("button", name="Enregistrer comme brouillon").click()
    page.wait_for_url("**/experiences/**")
    assert "administrateurs" not in page.locator("#etat-publication").inner_text()
    page.get_by_role("link", name="Mes expériences").first.click()
    drafts = page.locator("section", has=page.get_by_role("heading", name="Brouillons"))
    assert title in drafts.inner_text()
    docs_screenshot(page, "mes-experiences")
    drafts.get_by_role("button", name=f"Soumettre pour relecture : {title}").click()
    page.wait_for_url("**/mes-experiences?etat=submitted")
    submitted = page.locator(
        "section", has=page.get_by_role("heading", name="Soumises, en attente de relecture")
    )
    assert title in submitted.inner_text()
    submitted.get_by_role("button", name=f"Retirer de la relecture : {title}").click()
    page.wait_for_url("**/mes-experiences?etat=draft")
    assert "Expérience revenue en brouillon" in page.get_by_role("status").first.inner_text()
    drafts = page.locator("section", has=page.get_by_role("heading", name="Brouillons"))
    assert title in drafts.inner_text()


def test_new_pages_pass_axe(browser: Any, live_server: str, people: People) -> None:
    for label, viewport in VIEWPORTS:
        page = new_page(browser, live_server, viewport=viewport, bypass_csp=True)  # axe is injected inline
        try:
            _pick_regusse(page)
            assert axe_violations(page) == [], f"/mon-territoire ({label})"
            page.goto(f"/recherche?q={SEARCH_Q}")
            assert page.locator(".results-list .why").count() >= 1
            assert axe_violations(page) == [], f"/recherche with my territory ({label})"
            browser_log_in(page, people.member, next_path="/mes-experiences")
            assert axe_violations(page) == [], f"/mes-experiences ({label})"
            if label == "mobile":
                docs_screenshot(page, "mes-experiences-mobile")
        finally:
            page.context.close()
