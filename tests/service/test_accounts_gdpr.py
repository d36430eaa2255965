"""A person's rights over their data: export everything (API and web), delete the account (web form)
— what goes, and what stays without their name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from service.accounts.models import ApiKey, Membership, OneTimeToken, Role, User, UserSession
from service.casestudies.models import CaseStudy
from service.discussions.models import Post, Thread
from service.emails.models import Email
from tests.service.accounts_support import CASES, bearer, case_payload, new_person, post_form, text_of
from tests.support.api import all_items
from tests.support.people import PASSWORD, People, Person
from tests.support.web import log_in


@dataclass(frozen=True)
class Contributor:
    person: Person
    case_id: int
    thread_id: int
    post_id: int


@pytest.fixture
def contributor(client: TestClient, people: People, seeded_engine: Engine) -> Contributor:
    """A member of `org_id` who wrote a case and a discussion post, and has an email waiting."""
    person = new_person(seeded_engine, org_id=people.org_id)
    created = client.post(CASES, json=case_payload(organisation_id=people.org_id), headers=bearer(person))
    assert created.status_code == 201, created.text
    with Session(seeded_engine) as db:
        thread = Thread(title="Questions sur le tiers-lieu", author_id=person.user_id)
        db.add(thread)
        db.flush()
        post = Post(thread_id=thread.id, author_id=person.user_id, body="Combien de bénévoles ?")
        db.add(post)
        db.commit()
        ids = thread.id, post.id
    asked = post_form(client, "/mot-de-passe-oublie", "/mot-de-passe-oublie", {"email": person.email})
    assert asked.status_code == 200  # queues an email (and a link) addressed to them
    return Contributor(person=person, case_id=created.json()["id"], thread_id=ids[0], post_id=ids[1])


def _check_export(data: dict[str, Any], who: Contributor, org_id: int) -> None:
    assert data["account"]["email"] == who.person.email
    assert data["account"]["id"] == who.person.user_id
    assert [(m["organisation_id"], m["status"]) for m in data["memberships"]] == [(org_id, "approved")]
    assert [c["id"] for c in data["case_studies_written"]] == [who.case_id]
    assert [p["id"] for p in data["posts"]] == [who.post_id]
    assert [k["prefix"] for k in data["api_keys"]] == [who.person.api_key[:12]]
    assert "key_hash" not in json.dumps(data) and "password_hash" not in json.dumps(data)


def test_export_through_the_api_and_the_web(
    client: TestClient, people: People, contributor: Contributor
) -> None:
    exported = client.get("/api/v1/me/export", headers=bearer(contributor.person))
    assert exported.status_code == 200, exported.text
    _check_export(exported.json(), contributor, people.org_id)
    assert any(e["kind"] == "reset_password" for e in exported.json()["emails_sent_to_you"])
    assert client.get("/api/v1/me/export").status_code == 401
    assert client.get("/api/v1/me/export", headers=people.headers("partner")).status_code == 403

    log_in(client, contributor.person)
    downloaded = client.get("/compte/mes-donnees.json")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"].startswith("application/json")
    assert "attachment" in downloaded.headers["content-disposition"]
    _check_export(json.loads(downloaded.text), contributor, people.org_id)
    assert downloaded.json()["sessions"], "the web session it came from is listed"


def _count(db: Session, model: Any, *where: Any) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _delete_form(client: TestClient, **data: str) -> Any:
    return post_form(client, "/compte", "/compte/supprimer", data)


def test_deleting_the_account(client: TestClient, seeded_engine: Engine, contributor: Contributor) -> None:
    person, uid = contributor.person, contributor.person.user_id
    log_in(client, person)

    wrong = _delete_form(client, password="pas mon mot de passe", confirm="oui")
    assert wrong.status_code == 422
    assert "saisissez votre mot de passe pour confirmer" in text_of(wrong)
    unchecked = _delete_form(client, password=PASSWORD)
    assert unchecked.status_code == 422
    with Session(seeded_engine) as db:
        assert db.get(User, uid) is not None
        assert _count(db, UserSession, UserSession.user_id == uid) == 1
    assert client.get("/api/v1/me", headers=bearer(person)).status_code == 200

    deleted = _delete_form(client, password=PASSWORD, confirm="oui")
    assert deleted.status_code == 303
    assert client.get("/compte", follow_redirects=False).status_code == 303, "logged out"
    assert client.get("/api/v1/me", headers=bearer(person)).status_code == 401, "personal keys die with it"
    with Session(seeded_engine) as db:
        assert db.get(User, uid) is None
        assert _count(db, UserSession, UserSession.user_id == uid) == 0
        assert _count(db, ApiKey, ApiKey.user_id == uid) == 0
        assert _count(db, Membership, Membership.user_id == uid) == 0
        assert _count(db, OneTimeToken, OneTimeToken.user_id == uid) == 0
        assert _count(db, Email, Email.to_address == person.email) == 0
        post = db.get(Post, contributor.post_id)
        assert post is not None and post.author_id is None and post.body == "Combien de bénévoles ?"
        thread = db.get(Thread, contributor.thread_id)
        assert thread is not None and thread.author_id is None
        case = db.get(CaseStudy, contributor.case_id)
        assert case is not None and case.author_id is None, "the case stays with its organisation"
    relog = post_form(client, "/connexion", "/connexion", {"email": person.email, "password": PASSWORD})
    assert relog.status_code == 401


def test_deleting_a_moderator_keeps_their_decisions_without_their_name(
    client: TestClient, people: People, seeded_engine: Engine
) -> None:
    moderator = new_person(seeded_engine, role=Role.moderator)
    draft = client.post(
        CASES, json=case_payload(organisation_id=people.org_id), headers=people.headers("member")
    )
    case_id = draft.json()["id"]
    reason = "Il manque les résultats obtenus après un an."
    for headers, body in (
        (people.headers("member"), {"to": "submitted"}),
        (bearer(moderator), {"to": "rejected", "reason": reason}),
    ):
        assert client.post(f"{CASES}/{case_id}/transitions", json=body, headers=headers).status_code == 200
    log_in(client, moderator)
    assert _delete_form(client, password=PASSWORD, confirm="oui").status_code == 303
    history = all_items(client, f"{CASES}/{case_id}/history", people.headers("member"))
    assert (history[-1]["to_state"], history[-1]["actor"], history[-1]["reason"]) == (
        "rejected",
        None,
        reason,
    )
