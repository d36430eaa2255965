"""Helpers of the discussion tests: fresh members (each with a personal API key and a unique @handle),
published cases, and row counts to prove that a refused request wrote nothing.

Every test makes its own people instead of reusing the shared `people` accounts, so that what a test
counts (notifications, emails) can only come from that test."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from service.accounts.api_keys import create_api_key
from service.accounts.models import Membership, Role, User
from service.authz.principal import ALL_SCOPES
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.base import utcnow
from service.db.engine import make_session_factory
from service.discussions.models import Follow, Notification, Post, PostRevision, Thread
from service.emails.models import Email
from service.territories.models import Territory
from service.themes.models import Theme

THEME = "services-en-ligne"
COUNTED = {
    "threads": Thread.id,
    "posts": Post.id,
    "revisions": PostRevision.id,
    "notifications": Notification.id,
    "follows": Follow.id,
    "emails": Email.id,
}


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    display_name: str
    handle: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


class Kit:
    def __init__(self, engine: Engine) -> None:
        self.factory = make_session_factory(engine)

    def member(
        self,
        first_name: str = "Camille",
        *,
        org_id: int | None = None,
        verified: bool = True,
        frequency: str = "never",
        role: Role = Role.member,
    ) -> Member:
        tag = uuid.uuid4().hex[:8]
        with self.factory() as db:
            user = User(
                email=f"{first_name.lower()}-{tag}@discussions.test.fr",
                display_name=f"{first_name} Essai{tag}",
                password_hash="",
                role=role,
                email_verified_at=utcnow() if verified else None,
                email_frequency=frequency,
            )
            db.add(user)
            db.flush()
            if org_id is not None:
                db.add(Membership(user_id=user.id, organisation_id=org_id))
            _, secret = create_api_key(
                db,
                name="tests des discussions",
                scopes=ALL_SCOPES,
                rate_limit_per_minute=10_000,
                user_id=user.id,
                created_by_id=user.id,
            )
            db.commit()
            assert user.handle
            return Member(user.id, user.email, user.display_name, user.handle, secret)

    def published_case(self, *, org_id: int | None) -> CaseStudy:
        tag = uuid.uuid4().hex[:10]
        with self.factory() as db:
            theme = db.scalars(select(Theme).where(Theme.slug == THEME)).one()
            case = CaseStudy(
                slug=f"discussion-{tag}",
                title=f"Expérience à discuter {tag}",
                summary="Une expérience publiée pour les tests des discussions.",
                status=ProjectStatus.pilot,
                publication_state=PublicationState.published,
                published_at=utcnow(),
                organisation_id=org_id,
            )
            case.themes = [theme]
            db.add(case)
            db.commit()
            db.refresh(case)
            db.expunge(case)
            return case

    def theme_id(self, slug: str = THEME) -> int:
        with self.factory() as db:
            theme_id = db.scalar(select(Theme.id).where(Theme.slug == slug))
            assert theme_id is not None
            return theme_id

    def territory_id(self, code: str) -> int:
        with self.factory() as db:
            territory_id = db.scalar(select(Territory.id).where(Territory.code == code))
            assert territory_id is not None
            return territory_id

    def theme_id_other_than(self, slug: str) -> int:
        with self.factory() as db:
            theme_id = db.scalar(select(Theme.id).where(Theme.slug != slug).order_by(Theme.id).limit(1))
            assert theme_id is not None
            return theme_id

    def counts(self) -> dict[str, int]:
        with self.factory() as db:
            return {name: db.scalar(select(func.count(col))) or 0 for name, col in COUNTED.items()}

    def notifications(self, user_id: int) -> list[Notification]:
        with self.factory() as db:
            rows = db.scalars(
                select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
            ).all()
            db.expunge_all()
            return list(rows)

    def emails_to(self, address: str) -> list[Email]:
        with self.factory() as db:
            rows = db.scalars(select(Email).where(Email.to_address == address).order_by(Email.id)).all()
            db.expunge_all()
            return list(rows)

    def set_thread(self, thread_id: int, **values: Any) -> None:
        with self.factory() as db:
            thread = db.get(Thread, thread_id)
            assert thread is not None
            for name, value in values.items():
                setattr(thread, name, value)
            db.commit()


def new_thread(
    client: TestClient, who: Member, *, case_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    """Opens a thread through the API (in the default theme unless a case is given)."""
    payload: dict[str, Any] = {
        "title": f"Question {uuid.uuid4().hex[:8]} sur le portail",
        "body": "Comment avez-vous choisi votre prestataire ?",
    }
    url = "/api/v1/threads" if case_id is None else f"/api/v1/case-studies/{case_id}/threads"
    if case_id is None:
        payload["theme"] = THEME
    payload.update(extra)
    response = client.post(url, json=payload, headers=who.headers)
    assert response.status_code == 201, response.text
    thread: dict[str, Any] = response.json()
    return thread


def new_post(client: TestClient, who: Member, thread_id: int, body: str, **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/threads/{thread_id}/posts", json={"body": body, **extra}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


def first_post_id(client: TestClient, thread_id: int, who: Member) -> int:
    page = client.get(f"/api/v1/threads/{thread_id}/posts", headers=who.headers)
    assert page.status_code == 200, page.text
    post_id: int = page.json()["items"][0]["id"]
    return post_id
