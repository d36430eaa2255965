"""The web interface in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn: search as you type, facets, a case page, publishing with a validation error then
fixing it, the duplicate warning, the Markdown preview, territory autocomplete, keyboard use, no
script injection, axe-core accessibility checks and screenshots (build/screenshots/)."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from tests.support.browser import axe_violations, browser_log_in, new_page, screenshot
from tests.support.people import People
from tests.support.web import drain

pytestmark = pytest.mark.browser

SEARCH_Q = "portail citoyen open source"


WAIT_TEXT = """([sel, re]) => new RegExp(re).test(
    (document.querySelector(sel)?.textContent || '').replace(/\\s+/g, ' '))"""


def _wait_count(page: Any, pattern: str) -> None:
    """Wait until the live result count matches `pattern` (spaces, incl. no-break ones, as one)."""
    page.wait_for_function(WAIT_TEXT, arg=["#result-count", pattern])


def test_search_as_you_type_then_filter_by_facet_then_open_a_case(page: Any) -> None:
    page.goto("/recherche")
    box = page.get_by_label("Décrivez votre besoin")
    box.press_sequentially(SEARCH_Q, delay=20)
    _wait_count(page, "trouvées? pour « " + SEARCH_Q)
    # The URL follows the search (shareable), without a page load.
    assert parse_qs(urlparse(page.url).query)["q"] == [SEARCH_Q]
    results = page.locator("ol.results-list > li")
    assert results.count() == 10
    assert page.locator("ol.results-list mark").count() > 0  # highlighted terms
    assert box.evaluate("el => el === document.activeElement")  # typing was never interrupted

    # Tick the first theme: results and counts update, the URL too, focus stays on the box ticked.
    first_theme = page.locator("#facet-theme input[type=checkbox]").first
    theme_value = first_theme.get_attribute("value")
    first_theme.check()
    _wait_count(page, "avec 1 filtre")
    assert parse_qs(urlparse(page.url).query)["theme"] == [theme_value]
    ticked = page.locator(f"#facet-theme input[value='{theme_value}']")
    assert ticked.is_checked()
    assert ticked.evaluate("el => el === document.activeElement")
    for card in page.locator("ol.results-list > li").all():
        assert card.locator(".tags a").count() >= 1

    # Open a case from the results.
    link = page.locator("ol.results-list > li h3 a").first
    title = link.inner_text()
    link.click()
    page.wait_for_url("**/experiences/**")
    assert page.locator("h1").inner_text() == title
    assert page.get_by_role("heading", name="Questions et retours").is_visible()
    assert page.get_by_role("heading", name="Licence et source").is_visible()
    assert not page.js_errors


def test_back_button_restores_the_previous_search(page: Any) -> None:
    page.goto(f"/recherche?q={SEARCH_Q}")
    page.get_by_label("Décrivez votre besoin").fill("capteurs de pollens")
    _wait_count(page, "pour « capteurs de pollens")
    page.go_back()
    _wait_count(page, "pour « " + SEARCH_Q)
    assert page.get_by_label("Décrivez votre besoin").input_value() == SEARCH_Q


def test_search_works_without_javascript(browser: Any, live_server: str) -> None:
    page = new_page(browser, live_server, java_script_enabled=False)
    context = page.context
    try:
        page.goto("/")
        page.get_by_label("Que cherchez-vous ?").fill(SEARCH_Q)
        page.locator("form.big-search button[type=submit]").click()
        page.wait_for_url("**/recherche?q=*")
        assert page.locator("ol.results-list > li").count() == 10
        page.locator("#facet-status input[type=checkbox]").first.check()
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url("**status=*")
        assert "avec 1 filtre" in page.locator("#result-count").inner_text()
    finally:
        context.close()


def test_publish_with_a_validation_error_then_fix_it(
    page: Any, app: FastAPI, session: Session, people: People
) -> None:
    browser_log_in(page, people.admin)
    summary = "Les agents saisissaient trois fois les mêmes demandes ; un formulaire unique les alimente."
    page.get_by_label("Résumé").fill(summary)
    page.get_by_label("Budget total (en euros)").fill("douze mille")
    page.get_by_label("Contexte", exact=True).fill("Une **petite** commune de 900 habitants.")
    page.locator("#f-themes-services-en-ligne").check()
    page.get_by_role("button", name="Soumettre pour relecture").click()

    # Inline errors; everything typed is still there; the error summary has the focus.
    summary_box = page.locator("#error-summary")
    summary_box.wait_for()
    assert "2 erreurs" in summary_box.inner_text()
    assert summary_box.evaluate("el => el === document.activeElement")
    assert page.locator("#f-title-error").inner_text().endswith("Ce champ est obligatoire.")
    assert page.locator("#f-title").get_attribute("aria-invalid") == "true"
    assert "chiffres" in page.locator("#f-budget_eur-error").inner_text()
    assert page.get_by_label("Résumé").input_value() == summary
    assert page.get_by_label("Budget total (en euros)").input_value() == "douze mille"
    assert page.locator("#f-themes-services-en-ligne").is_checked()

    # The error link brings the focus to the field.
    summary_box.get_by_role("link", name=re.compile("^Titre")).click()
    assert page.locator("#f-title").evaluate("el => el === document.activeElement")

    title = f"Formulaire unique des demandes d'un petit village {uuid.uuid4().hex[:6]}"
    page.locator("#f-title").fill(title)
    page.get_by_label("Budget total (en euros)").fill("12 000")
    page.get_by_role("button", name="Publier directement").click()
    page.wait_for_url("**/experiences/formulaire-unique-des-demandes-*")
    assert page.locator("h1").inner_text() == title
    assert page.locator(".prose strong").inner_text() == "petite"
    assert "12\u202f000 €" in page.locator(".facts").inner_text()
    session.expire_all()
    case = session.scalar(select(CaseStudy).where(CaseStudy.title == title))
    assert case is not None and case.publication_state is PublicationState.published
    assert [t.slug for t in case.themes] == ["services-en-ligne"]
    assert not page.js_errors
    drain(app)


def test_duplicate_warning_while_typing(page: Any, session: Session, people: People) -> None:
    existing = session.scalars(
        select(CaseStudy)
        .where(CaseStudy.publication_state == PublicationState.published)
        .order_by(CaseStudy.id)
    ).first()
    assert existing is not None
    browser_log_in(page, people.admin)
    page.locator("#f-title").press_sequentially(existing.title[:120], delay=5)
    page.get_by_label("Résumé").fill(existing.summary[:2000])
    warning = page.locator("#doublons .notice-warning")
    warning.wait_for()
    assert "existe peut-être déjà" in warning.inner_text()
    assert warning.get_by_role("link", name=re.compile(re.escape(existing.title[:40]))).count() == 1


def test_markdown_preview_and_territory_finder(page: Any, people: People) -> None:
    browser_log_in(page, people.admin)
    page.get_by_label("Solution mise en œuvre").fill(
        "## Étapes\n\n- un **portail**\n- <script>window.__xss=1</script>"
    )
    page.get_by_role("button", name="Aperçu : Solution mise en œuvre").click()
    preview = page.locator("#apercu-solution .prose")
    preview.wait_for()
    assert preview.locator("h3").inner_text() == "Étapes"
    assert preview.locator("strong").inner_text() == "portail"
    assert preview.locator("script").count() == 0
    assert page.url.endswith("/publier")  # HTMX: no page change, nothing typed is lost

    page.get_by_label("Trouver le code d'un territoire").press_sequentially("Dragui", delay=30)
    add = page.get_by_role("button", name="Ajouter Draguignan", exact=True)
    add.click()
    assert page.get_by_label("Territoires concernés").input_value() == "83050"
    assert page.evaluate("window.__xss") is None
    assert not page.js_errors


def test_territory_autocomplete_and_page(page: Any) -> None:
    page.goto("/territoires")
    page.get_by_label("Nom, code postal ou code INSEE").press_sequentially("Dragui", delay=30)
    link = page.get_by_role("link", name="Draguignan", exact=True)
    link.click()
    page.wait_for_url("**/territoires/83050")
    assert page.locator("h1").inner_text() == "Draguignan"
    assert "habitants" in page.locator(".facts").inner_text()
    assert page.get_by_role("heading", name="Territoires comparables", exact=True).is_visible()
    assert page.locator(".comparables li").count() >= 1
    assert not page.js_errors


def test_keyboard_skip_link_and_visible_focus(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    # Tab order: brand, header search box...
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "header-q"
    page.keyboard.type("budget participatif")
    page.keyboard.press("Enter")
    page.wait_for_url("**/recherche?q=budget+participatif")
    # A facet checkbox is reachable and toggled with the keyboard.
    box = page.locator("#facet-status input[type=checkbox]").first
    box.focus()
    page.keyboard.press("Space")
    _wait_count(page, "avec 1 filtre")
    assert box.evaluate("el => getComputedStyle(el).outlineStyle") != "none"


XSS_PAYLOADS = (
    '<script>window.__xss="script"</script>',
    "<img src=x onerror=\"window.__xss='img'\">",
    '"><svg onload="window.__xss=\'svg\'">',
    "[clic](javascript:window.__xss='md-link')",
    "<a href=\"javascript:window.__xss='a'\">lien</a>",
    "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
)


def test_no_script_runs_from_user_text(browser: Any, live_server: str, app: FastAPI, people: People) -> None:
    # The Content-Security-Policy would block injected scripts anyway: bypass it, so that this test
    # checks the escaping and sanitizing themselves.
    page = new_page(browser, live_server, bypass_csp=True)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    browser_log_in(page, people.admin)
    payload = " ".join(XSS_PAYLOADS) + " alert(1)"
    marker = f"Charge {uuid.uuid4().hex[:6]}"
    page.locator("#f-title").fill(f"{marker} <script>window.__xss='title'</script>"[:120])
    page.get_by_label("Résumé").fill(f"{marker} {payload}"[:2000])
    for name in ("context", "solution", "results", "resources", "transferability", "partners", "funding"):
        page.locator(f"#f-{name}").fill(payload[:500])
    page.locator("#f-procurement_route").fill(payload[:500])
    page.locator("#f-links").fill(
        '<b onmouseover="window.__xss=1">lien</b> | https://example.org/"onmouseover="x'
    )
    page.get_by_role("button", name="Aperçu : Contexte").click()
    page.locator("#apercu-context .prose").wait_for()
    page.get_by_role("button", name="Publier directement").click()
    page.wait_for_url("**/experiences/charge-*")
    drain(app)
    slug_url = page.url
    for url in (slug_url, "/", "/experiences", f"/recherche?q={marker}", slug_url + "/modifier"):
        page.goto(url)
        page.mouse.move(10, 10)
        page.locator("body").hover()
        assert page.evaluate("window.__xss") is None, url
    assert "&lt;script&gt;" in page.content()
    assert not dialogs
    page.context.close()


PAGES = (
    ("accueil", "/"),
    ("recherche", f"/recherche?q={SEARCH_Q}"),
    ("experience", "/experiences/a-just"),
    ("territoire", "/territoires/83050"),
    ("logiciel", "/logiciels/1"),
    ("publier", "/publier"),
    ("connexion", "/connexion"),
    ("inscription", "/inscription"),
    ("compte", "/compte"),
    ("moderation", "/moderation"),
    ("administration", "/admin"),
)
LOGGED_IN_PAGES = {"/publier", "/compte", "/moderation", "/admin"}


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[n for n, _ in PAGES])
def test_accessibility_and_screenshots(
    browser: Any, live_server: str, name: str, path: str, people: People
) -> None:
    for label, viewport in (
        ("bureau", {"width": 1280, "height": 900}),
        ("mobile", {"width": 390, "height": 844}),
    ):
        page = new_page(browser, live_server, viewport=viewport, bypass_csp=True)  # axe is injected inline
        context = page.context
        try:
            if path in LOGGED_IN_PAGES:
                browser_log_in(page, people.admin, next_path=path)
            else:
                page.goto(path)
            page.wait_for_load_state("networkidle")
            screenshot(page, f"{name}-{label}")
            violations = axe_violations(page)
            assert violations == [], f"{path} ({label}): {violations}"
        finally:
            context.close()
