"""What the webhook tests share: a fresh personal key per test (its endpoints deleted afterwards), a
registered endpoint, a worker with test-scaled delays, cases written straight to the database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from service.accounts.api_keys import create_api_key
from service.accounts.models import Role, User
from service.authz.principal import ALL_SCOPES
from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.base import utcnow
from service.db.engine import make_session_factory
from service.settings import Settings
from service.webhooks.models import WebhookEndpoint, WebhookEvent
from service.webhooks.signing import new_secret
from service.webhooks.worker import WebhookWorker

ALL_EVENTS = [e.value for e in WebhookEvent]


@contextmanager
def fresh_key(engine: Engine, user_id: int | None) -> Iterator[dict[str, str]]:
    """Headers of a new key (personal if `user_id`, else a partner's); its webhooks go with the test."""
    factory = make_session_factory(engine)
    with factory() as db:
        key, secret = create_api_key(
            db,
            name=f"webhooks {uuid.uuid4().hex[:6]}",
            scopes=ALL_SCOPES,
            rate_limit_per_minute=100_000,
            user_id=user_id,
            created_by_id=user_id,
        )
        db.commit()
    try:
        yield {"Authorization": f"Bearer {secret}"}
    finally:
        with factory() as db:
            db.execute(delete(WebhookEndpoint).where(WebhookEndpoint.api_key_id == key.id))
            db.commit()


def subscribed_member(db: Session, url: str, *, email: str) -> int:
    """A member whose personal key has an endpoint at `url` listening to every event, written straight
    to the database (as a worker process or a bench finds it); the endpoint's id. The caller commits."""
    user = User(
        email=email, display_name="Partenaire", password_hash="", role=Role.member, email_verified_at=utcnow()
    )
    db.add(user)
    db.flush()
    key, _ = create_api_key(
        db,
        name="webhooks",
        scopes=ALL_SCOPES,
        rate_limit_per_minute=100,
        user_id=user.id,
        created_by_id=user.id,
    )
    hook = WebhookEndpoint(
        api_key_id=key.id,
        url=url,
        event_types=ALL_EVENTS,
        secret=new_secret(),
        active=True,
        consecutive_failures=0,
    )
    db.add(hook)
    db.flush()
    return hook.id


def register(
    client: TestClient, headers: dict[str, str], url: str, events: list[str] | None = None
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "event_types": events or ALL_EVENTS}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def worker(engine: Engine, settings: Settings, **overrides: Any) -> WebhookWorker:
    """A worker whose delays are test-sized (base 0.05 s unless told otherwise)."""
    scaled = settings.model_copy(
        update={"webhook_retry_base_seconds": 0.05, "webhook_lease_seconds": 5.0, **overrides}
    )
    return WebhookWorker(make_session_factory(engine), scaled)


def new_case(db: Session, state: PublicationState = PublicationState.published) -> CaseStudy:
    tag = uuid.uuid4().hex[:8]
    case = CaseStudy(
        slug=f"webhook-{tag}",
        title=f"Portail de démarches {tag}",
        summary="Un portail citoyen pour les démarches en ligne.",
        status=ProjectStatus.deployed,
        publication_state=state,
    )
    db.add(case)
    db.flush()
    return case
