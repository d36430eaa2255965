"""« Contacter l'équipe du projet »: a private conversation between a member and the organisation
behind a case, which nobody else can read or list (moderators excepted)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.casestudies.models import CaseStudy
from tests.service.discussions_kit import Kit, Member, new_post
from tests.support.people import People


@pytest.fixture
def kit(seeded_engine: Engine) -> Kit:
    return Kit(seeded_engine)


@pytest.fixture
def case(kit: Kit, people: People) -> CaseStudy:
    return kit.published_case(org_id=people.org_id)


def _contact(client: TestClient, case: CaseStudy, who: Member, title: str) -> dict[str, Any]:
    created = client.post(
        f"/api/v1/case-studies/{case.id}/contact",
        json={"title": title, "body": "Notre budget est de 12 000 euros, et le vôtre ?"},
        headers=who.headers,
    )
    assert created.status_code == 201, created.text
    thread: dict[str, Any] = created.json()
    return thread


def _listed(client: TestClient, headers: dict[str, str], **params: Any) -> set[int]:
    page = client.get("/api/v1/threads", params={"limit": 100, **params}, headers=headers)
    assert page.status_code == 200, page.text
    return {t["id"] for t in page.json()["items"]}


def test_contacting_the_team_opens_a_private_thread_that_notifies_it(
    client: TestClient, kit: Kit, people: People, case: CaseStudy
) -> None:
    asker = kit.member("Alix", org_id=people.other_org_id)
    teammate = kit.member("Basile", org_id=people.org_id)
    stranger = kit.member("Chloé", org_id=people.other_org_id)
    title = f"Votre budget {uuid.uuid4().hex[:6]}"

    thread = _contact(client, case, asker, title)

    assert thread["private"] is True
    assert thread["case_study_id"] == case.id
    for member_id in (teammate.user_id, people.member.user_id, people.org_admin.user_id):
        notes = [n for n in kit.notifications(member_id) if n.url.startswith(f"/discussions/{thread['id']}")]
        assert [n.kind for n in notes] == ["private_message"], member_id
    assert kit.notifications(stranger.user_id) == []
    assert kit.notifications(asker.user_id) == []

    # The team answers; the asker hears about it.
    answer = new_post(client, teammate, thread["id"], "Bonjour, appelons-nous jeudi.")
    assert ("private_message", answer["id"]) in [
        (n.kind, n.post_id) for n in kit.notifications(asker.user_id)
    ]


def test_only_the_asker_the_team_and_moderators_can_read_it(
    client: TestClient, kit: Kit, people: People, case: CaseStudy
) -> None:
    asker = kit.member("Alix", org_id=people.other_org_id)
    stranger = kit.member("Chloé", org_id=people.other_org_id)
    title = f"Votre budget {uuid.uuid4().hex[:6]}"
    thread = _contact(client, case, asker, title)
    thread_url = f"/api/v1/threads/{thread['id']}"

    for headers, expected in (
        ({}, (401,)),
        (people.headers("partner"), (401, 403, 404)),
        (stranger.headers, (403, 404)),
        (people.headers("outsider"), (403, 404)),
    ):
        for url in (thread_url, f"{thread_url}/posts"):
            refused = client.get(url, headers=headers)
            assert refused.status_code in expected, (url, headers, refused.text)
            assert title not in refused.text and "12 000" not in refused.text
        answer = client.post(f"{thread_url}/posts", json={"body": "Je m'invite"}, headers=headers)
        assert answer.status_code in (401, 403, 404), answer.text

    for headers in (asker.headers, people.headers("member"), people.headers("moderator")):
        read = client.get(f"{thread_url}/posts", headers=headers)
        assert read.status_code == 200, read.text
        assert "12 000" in read.json()["items"][0]["body"]


def test_it_never_appears_in_public_lists(
    client: TestClient, kit: Kit, people: People, case: CaseStudy
) -> None:
    asker = kit.member("Alix", org_id=people.other_org_id)
    thread = _contact(client, case, asker, f"Votre budget {uuid.uuid4().hex[:6]}")

    for headers in ({}, people.headers("partner"), people.headers("outsider")):
        assert thread["id"] not in _listed(client, headers)
        assert thread["id"] not in _listed(client, headers, case_study_id=case.id)
    for headers in (asker.headers, people.headers("member"), people.headers("moderator")):
        assert thread["id"] in _listed(client, headers, case_study_id=case.id)

    page = client.get(f"/experiences/{case.slug}")
    assert page.status_code == 200
    assert thread["title"] not in page.text


def test_contacting_needs_a_verified_account(
    client: TestClient, kit: Kit, people: People, case: CaseStudy
) -> None:
    before = kit.counts()
    payload = {"title": "Une question privée", "body": "Bonjour"}
    anonymous = client.post(f"/api/v1/case-studies/{case.id}/contact", json=payload)
    assert anonymous.status_code == 401
    unverified = client.post(
        f"/api/v1/case-studies/{case.id}/contact", json=payload, headers=people.headers("unverified")
    )
    assert unverified.status_code == 403
    assert "Confirmez" in unverified.json()["detail"]
    assert kit.counts() == before


def test_a_case_without_organisation_has_no_team_to_contact(
    client: TestClient, kit: Kit, people: People
) -> None:
    orphan = kit.published_case(org_id=None)
    asker = kit.member("Alix", org_id=people.other_org_id)
    before = kit.counts()
    refused = client.post(
        f"/api/v1/case-studies/{orphan.id}/contact",
        json={"title": "Une question privée", "body": "Bonjour"},
        headers=asker.headers,
    )
    assert refused.status_code == 409, refused.text
    assert "organisation" in refused.json()["detail"]
    assert kit.counts() == before
