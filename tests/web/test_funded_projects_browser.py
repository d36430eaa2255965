"""In Chromium: a small commune's page shows the digital projects the State funded there, and a member
turns one into a draft experience through the normal publish form."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from tests.support.browser import axe_violations, browser_log_in, new_page
from tests.support.people import People

pytestmark = pytest.mark.browser
AMIFONTAINE = "02013"


def test_a_commune_page_shows_its_funded_digital_projects(browser: Any, live_server: str) -> None:
    page = new_page(browser, live_server, bypass_csp=True)  # axe is injected inline
    page.goto(f"/territoires/{AMIFONTAINE}")
    section = page.locator("section.funded")
    assert section.get_by_role("heading", name="Ce que ce territoire a financé").is_visible()
    items = section.locator("li.funded-project")
    assert items.count() == 3
    text = section.inner_text()
    assert "Materiels informatique pour la mairie" in text
    assert "Plan numerique pour l'ecole (acquisition de materiels interactifs)" in text
    assert "subvention 1\u202f737 €" in text and "DETR" in text
    assert "Source : DGCL" in text
    assert not axe_violations(page)
    assert not page.js_errors
    page.context.close()


def test_a_member_tells_the_story_of_a_funded_project(page: Any, people: People, session: Session) -> None:
    browser_log_in(page, people.member, next_path=f"/territoires/{AMIFONTAINE}")
    item = page.locator("li.funded-project", has_text="Materiels informatique pour la mairie")
    item.get_by_role("link", name="Raconter ce projet").click()
    page.wait_for_url("**/publier?projet-finance=*")
    assert page.locator("#f-title").input_value() == "Materiels informatique pour la mairie"
    assert "Amifontaine a mené ce projet en 2019" in page.get_by_label("Résumé").input_value()
    assert page.get_by_label("Budget total (en euros)").input_value() == "3859"
    page.get_by_role("button", name="Enregistrer comme brouillon").click()
    page.wait_for_url("**/experiences/materiels-informatique-pour-la-mairie*")
    session.expire_all()
    case = session.scalar(
        select(CaseStudy)
        .where(CaseStudy.title == "Materiels informatique pour la mairie")
        .order_by(CaseStudy.id.desc())
    )
    assert case is not None and case.publication_state is PublicationState.draft
    assert [t.code for t in case.territories] == [AMIFONTAINE]
    assert not page.js_errors
