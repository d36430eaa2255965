"""Two members in two browsers: one asks the team of a case a question, the other is notified,
answers without leaving the page, and the first sees the answer appear without reloading."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from tests.support.browser import browser_log_in, new_page
from tests.support.people import People

pytestmark = pytest.mark.browser


def test_question_notification_answer_appears_live(
    browser: Any, live_server: str, session: Session, people: People
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = CaseStudy(
        slug=f"groupement-achats-{tag}",
        title=f"Groupement d'achats de logiciels {tag}",
        summary="Un syndicat mixte achète les logiciels métier pour ses petites communes.",
        status=ProjectStatus.deployed,
        publication_state=PublicationState.published,
        organisation_id=people.org_id,  # the team of `member`
    )
    session.add(case)
    session.commit()

    asker = new_page(browser, live_server)
    browser_log_in(asker, people.outsider, next_path=f"/experiences/{case.slug}")
    asker.get_by_text("Poser une question ou partager un retour").click()
    question = f"Comment avez-vous rédigé le marché ? {tag}"
    asker.get_by_label("Titre").fill(question)
    asker.get_by_label("Message", exact=True).fill(
        "Bonjour, quel type de marché avez-vous passé pour les **petites** communes ?"
    )
    asker.get_by_role("button", name="Envoyer").click()
    asker.wait_for_url("**/discussions/*")
    assert asker.locator("h1").inner_text() == question
    asker.evaluate("window.__sameDocument = true")  # a reload would lose it

    team = new_page(browser, live_server)
    browser_log_in(team, people.member, next_path="/")
    badge = team.locator(".count-badge")
    assert int(badge.inner_text().split()[0]) >= 1
    team.get_by_role("link", name="Notifications").click()
    team.get_by_role("link", name=question, exact=False).first.click()
    team.wait_for_url("**/discussions/*")
    answer = f"Un marché à bons de commande porté par le syndicat ({tag})."
    team.get_by_label("Votre message").fill(answer)
    team.get_by_role("button", name="Publier la réponse").click()
    # Posted without a page load: the form is empty again and the answer is in the list.
    team.locator("#posts").get_by_text(answer).wait_for()
    assert team.get_by_label("Votre message").input_value() == ""

    # The asker's page, never reloaded, shows the answer with a clear indicator.
    asker.locator("#posts").get_by_text(answer).wait_for(timeout=15_000)
    assert asker.evaluate("window.__sameDocument") is True
    assert "nouveau message" in asker.locator(".new-posts-notice").first.inner_text()
    assert asker.locator(".post-new").count() >= 1
    for page in (asker, team):
        assert not page.js_errors
        page.context.close()


def test_reply_works_without_javascript(browser: Any, live_server: str, people: People) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    browser_log_in(page, people.member, next_path="/discussions")
    page.get_by_label("Titre").fill(f"Sans JavaScript {uuid.uuid4().hex[:6]}")
    page.get_by_label("Message", exact=True).fill("Une première question.")
    page.get_by_role("button", name="Publier").click()
    page.wait_for_url("**/discussions/*")
    page.get_by_label("Votre message").fill("Et une précision.")
    page.get_by_role("button", name="Publier la réponse").click()
    page.wait_for_url("**/discussions/*#message-*")
    assert page.locator("#posts").get_by_text("Et une précision.").count() == 1
    context.close()
