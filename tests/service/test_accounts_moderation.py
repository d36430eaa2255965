"""The moderation workflow through the API: draft → submitted → rejected (with a reason, emailed) →
submitted → published → archived, its history, and who may do what on the way."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy
from tests.service.accounts_support import CASES, bearer, case_payload, emails_to, new_person
from tests.support.api import all_items
from tests.support.people import People

REASON = "Le résumé ne dit pas ce que le projet a coûté ni qui l'a porté."


def _move(
    client: TestClient, case_id: int, headers: dict[str, str], to: str, reason: str | None = None
) -> Any:
    body: dict[str, Any] = {"to": to}
    if reason is not None:
        body["reason"] = reason
    return client.post(f"{CASES}/{case_id}/transitions", json=body, headers=headers)


def _draft(client: TestClient, people: People, **overrides: Any) -> dict[str, Any]:
    created = client.post(
        CASES, json=case_payload(organisation_id=people.org_id, **overrides), headers=people.headers("member")
    )
    assert created.status_code == 201, created.text
    case: dict[str, Any] = created.json()
    return case


def test_draft_to_published_through_review(client: TestClient, people: People, seeded_engine: Engine) -> None:
    member, moderator = people.headers("member"), people.headers("moderator")
    case = _draft(client, people)
    assert case["publication_state"] == "draft"
    assert case["organisation"]["id"] == people.org_id
    with Session(seeded_engine) as db:
        row = db.scalar(select(CaseStudy).where(CaseStudy.id == case["id"]))
        assert row is not None and row.author_id == people.member.user_id
    assert client.get(f"{CASES}/{case['id']}").status_code == 404, "a draft is not public"

    submitted = _move(client, case["id"], member, "submitted")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["publication_state"] == "submitted"
    queue = client.get("/api/v1/moderation/queue", params={"limit": 100}, headers=moderator)
    assert case["id"] in [c["id"] for c in queue.json()["items"]]

    self_publish = _move(client, case["id"], member, "published")
    assert self_publish.status_code == 403
    assert "Réservé aux modérateurs" in self_publish.json()["detail"]
    patched = client.patch(f"{CASES}/{case['id']}", json={"publication_state": "published"}, headers=member)
    assert patched.status_code == 403, "nor through an edit"

    no_reason = _move(client, case["id"], moderator, "rejected")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    assert "expliquez le refus" in no_reason.json()["errors"][0]["message"]
    assert client.get(f"{CASES}/{case['id']}", headers=member).json()["publication_state"] == "submitted"

    rejected = _move(client, case["id"], moderator, "rejected", REASON)
    assert rejected.status_code == 200
    assert rejected.json()["publication_state"] == "rejected"
    (mail,) = [
        m for m in emails_to(seeded_engine, people.member.email, "case_rejected") if case["title"] in m.body
    ]
    assert "refusée" in mail.subject and REASON in mail.body

    assert _move(client, case["id"], member, "submitted").status_code == 200
    published = _move(client, case["id"], moderator, "published")
    assert published.status_code == 200
    assert published.json()["published_at"] is not None
    public = client.get(f"{CASES}/{case['id']}")
    assert public.status_code == 200 and public.json()["publication_state"] == "published"
    assert any(
        case["title"] in m.body for m in emails_to(seeded_engine, people.member.email, "case_published")
    )

    history = all_items(client, f"{CASES}/{case['id']}/history", headers=member)
    steps = [(h["from_state"], h["to_state"], h["actor"], h["reason"]) for h in history]
    assert steps == [
        (None, "draft", "Membre", None),
        ("draft", "submitted", "Membre", None),
        ("submitted", "rejected", "Moderatrice", REASON),
        ("rejected", "submitted", "Membre", None),
        ("submitted", "published", "Moderatrice", None),
    ]
    assert all(h["created_at"] for h in history)
    assert client.get(f"{CASES}/{case['id']}/history").status_code == 401, "not for the public"
    assert client.get(f"{CASES}/{case['id']}/history", headers=people.headers("outsider")).status_code == 403

    archived = _move(client, case["id"], member, "archived")
    assert archived.status_code == 200 and archived.json()["publication_state"] == "archived"
    assert client.get(f"{CASES}/{case['id']}").status_code == 404, "an archived case leaves public reads"


def test_impossible_moves_are_conflicts(client: TestClient, people: People) -> None:
    case = _draft(client, people)
    archive_draft = _move(client, case["id"], people.headers("moderator"), "archived")
    assert archive_draft.status_code == 409
    assert "brouillon ne peut pas devenir archivée" in archive_draft.json()["detail"]
    same = _move(client, case["id"], people.headers("member"), "draft")
    assert same.status_code == 409


def test_outsiders_neither_see_drafts_nor_edit(client: TestClient, people: People) -> None:
    outsider = people.headers("outsider")
    draft = _draft(client, people)
    assert client.get(f"{CASES}/{draft['id']}", headers=outsider).status_code == 404
    listed = client.get(CASES, params={"publication_state": "draft", "limit": 100}, headers=outsider)
    assert listed.status_code == 200
    assert draft["id"] not in [c["id"] for c in listed.json()["items"]]
    assert _move(client, draft["id"], outsider, "submitted").status_code == 404

    published = client.post(
        CASES,
        json=case_payload(organisation_id=people.org_id, publication_state="published"),
        headers=people.headers("admin"),
    ).json()
    edit = client.patch(
        f"{CASES}/{published['id']}", json={"title": "Réécrit par un voisin"}, headers=outsider
    )
    assert edit.status_code == 403
    assert "Seuls les membres de l'organisation" in edit.json()["detail"]
    assert client.get(f"{CASES}/{published['id']}").json()["title"] == published["title"]
    # A colleague of the same organisation may edit it.
    colleague = client.patch(
        f"{CASES}/{published['id']}",
        json={"summary": "Résumé repris par une collègue."},
        headers=people.headers("org_admin"),
    )
    assert colleague.status_code == 200


def test_members_create_only_for_their_own_organisation(client: TestClient, people: People) -> None:
    refused = client.post(
        CASES, json=case_payload(organisation_id=people.other_org_id), headers=people.headers("member")
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "organisation_id"
    published = client.post(
        CASES, json=case_payload(publication_state="published"), headers=people.headers("member")
    )
    assert published.status_code == 403, "members cannot publish directly"


def test_unverified_users_cannot_create(client: TestClient, people: People, seeded_engine: Engine) -> None:
    for headers in (people.headers("unverified"), bearer(new_person(seeded_engine, verified=False))):
        refused = client.post(CASES, json=case_payload(), headers=headers)
        assert refused.status_code == 403
        assert "Confirmez d'abord votre adresse e-mail" in refused.json()["detail"]
