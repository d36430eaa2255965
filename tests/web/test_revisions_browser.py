"""Issue 15, finding 5 in a real browser: a member edits a published case, a reader still reads the
published text, a moderator reviews the side-by-side diff in /moderation (without JavaScript) and
approves it, and the reader then reads the new text."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.base import utcnow
from tests.support.browser import axe_violations, browser_log_in, new_page, screenshot
from tests.support.people import People

pytestmark = pytest.mark.browser


def test_edit_of_a_published_case_waits_for_the_moderators_approval(
    browser: Any, live_server: str, session: Session, people: People
) -> None:
    tag = uuid.uuid4().hex[:6]
    published = f"Un portail de démarches en ligne mutualisé ({tag})."
    case = CaseStudy(
        slug=f"portail-demarches-{tag}",
        title=f"Portail de démarches {tag}",
        summary=published,
        context="Les habitants faisaient leurs démarches au guichet.",
        status=ProjectStatus.deployed,
        publication_state=PublicationState.published,
        published_at=utcnow(),
        organisation_id=people.org_id,  # the team of `member`
    )
    session.add(case)
    session.commit()
    proposed = f"Un portail libre de démarches, mutualisé entre 12 communes ({tag})."

    author = new_page(browser, live_server, bypass_csp=True)  # axe-core is injected inline
    browser_log_in(author, people.member, next_path=f"/experiences/{case.slug}/modifier")
    assert author.get_by_text("seront relues par les modérateurs").is_visible()
    author.locator("#f-summary").fill(proposed)
    author.get_by_role("button", name="Enregistrer les modifications").click()
    author.wait_for_url(f"**/experiences/{case.slug}?modification=attente")
    assert "Votre modification attend la relecture" in author.locator("#modification-en-attente").inner_text()
    author.get_by_text("Voir la modification en attente").click()
    assert proposed in author.locator("#modification-en-attente table").inner_text()
    assert axe_violations(author) == []
    assert author.js_errors == []

    reader = new_page(browser, live_server)
    reader.goto(f"/experiences/{case.slug}")
    assert reader.locator(".case-summary").inner_text().strip() == published
    assert reader.locator("#modification-en-attente").count() == 0

    moderator = new_page(browser, live_server, java_script_enabled=False)  # forms post and redirect
    browser_log_in(moderator, people.moderator, next_path="/moderation")
    panel = moderator.locator("article", has=moderator.get_by_role("link", name=case.title))
    table = panel.locator("table.revision-diff")
    assert table.locator("caption").first.inner_text() == "Résumé"
    cells = table.locator("tbody tr").first.locator("td")
    assert (cells.nth(0).inner_text(), cells.nth(1).inner_text()) == (published, proposed)
    assert "12 communes" in " ".join(cells.nth(1).locator("ins").all_inner_texts())  # the words that change
    screenshot(moderator, "moderation-modification")
    panel.get_by_role("button", name="Approuver la modification").click()
    moderator.wait_for_url("**/moderation?fait=modification-approuvee")
    assert "Modification approuvée" in moderator.locator(".notice").first.inner_text()

    reader.reload()
    assert reader.locator(".case-summary").inner_text().strip() == proposed
    history = new_page(browser, live_server)
    browser_log_in(history, people.member, next_path=f"/experiences/{case.slug}")
    items = history.locator("#section-history + ol li").all_inner_texts()
    assert any("modification proposée" in item for item in items)
    assert any("modification approuvée" in item for item in items)
    for pg in (author, reader, moderator, history):
        pg.context.close()
