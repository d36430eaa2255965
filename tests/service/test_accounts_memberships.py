"""Joining an organisation: a request, answered by that organisation's admins; an approved member edits
the organisation's case studies. Fresh users only: the shared `people` keep their memberships."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.accounts.models import Membership
from tests.service.accounts_support import CASES, bearer, case_payload, display_name, emails_to, new_person
from tests.support.api import all_items
from tests.support.people import People


def _org_case(client: TestClient, people: People) -> dict[str, Any]:
    created = client.post(
        CASES,
        json=case_payload(organisation_id=people.org_id, publication_state="published"),
        headers=people.headers("admin"),
    )
    assert created.status_code == 201, created.text
    case: dict[str, Any] = created.json()
    return case


def _members(client: TestClient, org_id: int, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/organisations/{org_id}/members", headers=headers)


def test_request_approve_then_edit_the_organisations_cases(
    client: TestClient, people: People, seeded_engine: Engine
) -> None:
    org = people.org_id
    joiner = new_person(seeded_engine)
    case = _org_case(client, people)
    edit = {"summary": "Résumé complété par un nouvel agent de la collectivité."}
    assert client.patch(f"{CASES}/{case['id']}", json=edit, headers=bearer(joiner)).status_code == 403

    asked = client.post(f"/api/v1/organisations/{org}/join-requests", headers=bearer(joiner))
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    assert any(
        f"{display_name(joiner.email)} demande à rejoindre" in m.subject
        for m in emails_to(seeded_engine, people.org_admin.email, "membership_request")
    ), "the organisation's admins are told"
    again = client.post(f"/api/v1/organisations/{org}/join-requests", headers=bearer(joiner))
    assert again.status_code == 409 and "attend déjà une réponse" in again.json()["detail"]
    still_pending = client.patch(f"{CASES}/{case['id']}", json=edit, headers=bearer(joiner))
    assert still_pending.status_code == 403, "a pending request gives no rights"

    approval = f"/api/v1/organisations/{org}/members/{joiner.user_id}/approval"
    plain = client.post(approval, headers=people.headers("member"))
    assert plain.status_code == 403
    assert "Réservé aux administrateurs de cette organisation" in plain.json()["detail"]
    assert _members(client, org, people.headers("member")).status_code == 403

    listed = all_items(client, f"/api/v1/organisations/{org}/members", people.headers("org_admin"))
    pending = [m for m in listed if m["user_id"] == joiner.user_id]
    assert [m["status"] for m in pending] == ["pending"]

    approved = client.post(approval, headers=people.headers("org_admin"))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    (decision,) = emails_to(seeded_engine, joiner.email, "membership_decision")
    assert "acceptée" in decision.subject

    now_member = client.patch(f"{CASES}/{case['id']}", json=edit, headers=bearer(joiner))
    assert now_member.status_code == 200, now_member.text
    assert now_member.json()["summary"] == edit["summary"]
    me = client.get("/api/v1/me", headers=bearer(joiner)).json()
    assert [(o["id"], o["status"]) for o in me["organisations"]] == [(org, "approved")]
    already = client.post(f"/api/v1/organisations/{org}/join-requests", headers=bearer(joiner))
    assert already.status_code == 409 and "déjà membre" in already.json()["detail"]

    member_url = f"/api/v1/organisations/{org}/members/{joiner.user_id}"
    promoted = client.patch(member_url, json={"is_org_admin": True}, headers=people.headers("org_admin"))
    assert promoted.status_code == 200 and promoted.json()["is_org_admin"] is True
    assert _members(client, org, bearer(joiner)).status_code == 200, "a new admin answers requests too"

    assert client.delete(member_url, headers=people.headers("org_admin")).status_code == 204
    removed = client.patch(f"{CASES}/{case['id']}", json=edit, headers=bearer(joiner))
    assert removed.status_code == 403, "a removed member loses the organisation's cases"
    assert "terminée" in emails_to(seeded_engine, joiner.email, "membership_decision")[-1].subject


def test_refusing_removes_the_request(client: TestClient, people: People, seeded_engine: Engine) -> None:
    org = people.org_id
    joiner = new_person(seeded_engine)
    assert (
        client.post(f"/api/v1/organisations/{org}/join-requests", headers=bearer(joiner)).status_code == 201
    )
    member_url = f"/api/v1/organisations/{org}/members/{joiner.user_id}"
    assert client.delete(member_url, headers=people.headers("member")).status_code == 403
    assert client.delete(member_url, headers=people.headers("org_admin")).status_code == 204
    with Session(seeded_engine) as db:
        assert db.scalar(select(Membership).where(Membership.user_id == joiner.user_id)) is None
    (decision,) = emails_to(seeded_engine, joiner.email, "membership_decision")
    assert "refusée" in decision.subject
    listed = all_items(client, f"/api/v1/organisations/{org}/members", people.headers("org_admin"))
    assert joiner.user_id not in [m["user_id"] for m in listed]
    # The person may ask again later.
    assert (
        client.post(f"/api/v1/organisations/{org}/join-requests", headers=bearer(joiner)).status_code == 201
    )


def test_an_organisation_admin_decides_only_for_their_organisation(
    client: TestClient, people: People, seeded_engine: Engine
) -> None:
    other = people.other_org_id
    joiner = new_person(seeded_engine)
    assert (
        client.post(f"/api/v1/organisations/{other}/join-requests", headers=bearer(joiner)).status_code == 201
    )
    refused = client.post(
        f"/api/v1/organisations/{other}/members/{joiner.user_id}/approval",
        headers=people.headers("org_admin"),
    )
    assert refused.status_code == 403
    assert _members(client, other, people.headers("org_admin")).status_code == 403
    # A Retex administrator may answer for any organisation.
    assert (
        client.post(
            f"/api/v1/organisations/{other}/members/{joiner.user_id}/approval",
            headers=people.headers("admin"),
        ).status_code
        == 200
    )


def test_unverified_users_cannot_ask_to_join(
    client: TestClient, people: People, seeded_engine: Engine
) -> None:
    joiner = new_person(seeded_engine, verified=False)
    refused = client.post(f"/api/v1/organisations/{people.org_id}/join-requests", headers=bearer(joiner))
    assert refused.status_code == 403
    assert "Confirmez d'abord votre adresse e-mail" in refused.json()["detail"]
    assert (
        client.post("/api/v1/organisations/999999999/join-requests", headers=bearer(joiner)).status_code
        == 404
    )
