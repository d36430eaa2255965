"""Webhooks end to end on the suite's database: registration and ownership, every event type delivered
signed to a receiver on 127.0.0.1 (checked with the Python client's verify_webhook_signature), nothing for
a rolled-back transaction, retries with growing delays, dead deliveries redelivered, an endpoint that
keeps failing disabled with one e-mail, redirects never followed."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from retex_client import verify_webhook_signature
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from service.accounts.models import ApiKey
from service.casestudies.models import PublicationState
from service.db.base import utcnow
from service.discussions.models import Thread
from service.emails.models import Email
from service.settings import Settings
from service.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from service.webhooks.urls import RefusedUrl, check_destination, check_url
from tests.support.events import event_payload
from tests.support.people import People
from tests.support.webhook_receiver import receiver
from tests.support.webhooks import fresh_key, new_case, register, worker


def _log(client: TestClient, headers: dict[str, str], hook_id: int) -> list[dict[str, Any]]:
    page = client.get(f"/api/v1/webhooks/{hook_id}/deliveries", params={"limit": 100}, headers=headers)
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def _deliveries(session: Session, hook_id: int) -> int:
    stmt = select(func.count(WebhookDelivery.id)).where(WebhookDelivery.endpoint_id == hook_id)
    return session.scalar(stmt) or 0


def test_a_key_registers_sees_and_deletes_only_its_own_webhooks(
    client: TestClient, seeded_engine: Engine, people: People, admin_headers: dict[str, str]
) -> None:
    with fresh_key(seeded_engine, None) as partner, fresh_key(seeded_engine, people.member.user_id) as other:
        created = register(client, partner, "https://partenaire.example.org/retex", ["case.published"])
        assert created["secret"].startswith("whsec_") and created["active"] is True
        hook_id = created["id"]
        listed = client.get("/api/v1/webhooks", headers=partner).json()
        assert [h["id"] for h in listed["items"]] == [hook_id] and "secret" not in listed["items"][0]
        assert client.get(f"/api/v1/webhooks/{hook_id}", headers=partner).json()["event_types"] == [
            "case.published"
        ]
        # Another key does not even learn that it exists; no key at all, or the operator token: refused.
        assert client.get(f"/api/v1/webhooks/{hook_id}", headers=other).status_code == 404
        assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=other).status_code == 404
        assert client.get("/api/v1/webhooks", headers=other).json()["items"] == []
        assert client.get("/api/v1/webhooks").status_code == 401
        refused = client.get("/api/v1/webhooks", headers=admin_headers)
        assert refused.status_code == 403 and "clé d'API" in refused.json()["detail"]
        disabled = client.post(f"/api/v1/webhooks/{hook_id}/disable", headers=partner).json()
        assert disabled["active"] is False and disabled["disabled_reason"] == "suspendu par son propriétaire"
        assert client.post(f"/api/v1/webhooks/{hook_id}/enable", headers=partner).json()["active"] is True
        assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=partner).status_code == 204
        assert client.get(f"/api/v1/webhooks/{hook_id}", headers=partner).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://partenaire.example.org/retex",  # not https
        "https://127.0.0.1/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.1.10/hooks",
        "https://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "https://0.0.0.0/hooks",
        "https://localhost/hooks",
        "https://intranet.local/hooks",
        "https://intranet/hooks",
        "https://partenaire:motdepasse@partenaire.example.org/hooks",
        "https://partenaire.example.org:99999/hooks",
        "ftp://partenaire.example.org/hooks",
        "https://partenaire example.org/hooks",
    ],
)
def test_private_local_and_malformed_urls_are_refused_with_422(
    app: FastAPI, client: TestClient, seeded_engine: Engine, url: str
) -> None:
    original = app.state.settings
    app.state.settings = original.model_copy(update={"webhook_allow_private": False})
    try:
        with fresh_key(seeded_engine, None) as partner:
            response = client.post(
                "/api/v1/webhooks", json={"url": url, "event_types": ["case.published"]}, headers=partner
            )
    finally:
        app.state.settings = original
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"].endswith("url")


def test_a_name_that_resolves_to_a_local_address_is_not_called() -> None:
    assert check_url("https://partenaire.example.org/h", allow_private=False)
    with pytest.raises(RefusedUrl, match="adresse privée ou locale"):
        check_destination("https://localhost:8443/hooks", allow_private=False)
    check_destination("http://127.0.0.1:1/hooks", allow_private=True)  # the setting the tests use


def test_every_event_type_is_delivered_signed_once(
    client: TestClient,
    session: Session,
    seeded_engine: Engine,
    settings: Settings,
    people: People,
) -> None:
    with receiver() as rec, fresh_key(seeded_engine, people.member.user_id) as headers:
        hook = register(client, headers, rec.url)
        case = new_case(session)
        session.commit()  # case.published
        case.title = "Portail de démarches, deuxième version"
        session.commit()  # case.updated
        new_case(session, PublicationState.draft)
        session.add(Thread(title="Entre nous", private_organisation_id=people.org_id))
        session.commit()  # a draft, a private conversation: nothing
        case.publication_state = PublicationState.archived
        session.commit()  # case.withdrawn
        thread = client.post(
            "/api/v1/threads",
            json={
                "title": "Quel prestataire ?",
                "body": "Comment l'avez-vous choisi ?",
                "theme": "open-data",
            },
            headers=people.headers("member"),
        )
        assert thread.status_code == 201, thread.text  # thread.created
        event = client.post(
            "/api/v1/events", json=event_payload(people.org_id), headers=people.headers("org_admin")
        )
        assert event.status_code == 201, event.text  # event.published

        worker(seeded_engine, settings).run_until_idle()
        assert len(rec.requests) == 5
        assert [(r.headers["Retex-Event"], r.event["data"]["id"]) for r in rec.requests] == [
            ("case.published", case.id),
            ("case.updated", case.id),
            ("case.withdrawn", case.id),
            ("thread.created", thread.json()["id"]),
            ("event.published", event.json()["id"]),
        ]
        for request in rec.requests:
            verify_webhook_signature(hook["secret"], request.body, request.headers)
            assert request.headers["Content-Type"] == "application/json"
            assert request.event["type"] == request.headers["Retex-Event"]
            assert request.event["id"].startswith("evt_") and request.event["created_at"]
        withdrawn = rec.requests[2].event["data"]
        assert withdrawn["reason"] == "archived" and withdrawn["title"] == case.title
        api_url = rec.requests[3].event["data"]["api_url"]
        assert api_url == f"{settings.public_url}/api/v1/threads/{thread.json()['id']}"
        assert client.get(api_url.removeprefix(settings.public_url)).status_code == 200  # re-fetchable

        log = _log(client, headers, hook["id"])
        assert [d["delivery_id"] for d in log] == [r.delivery_id for r in reversed(rec.requests)]
        assert {(d["state"], d["attempts"], d["last_status_code"]) for d in log} == {("delivered", 1, 200)}
        assert all(d["next_attempt_at"] is None and d["delivered_at"] for d in log)


def test_a_rolled_back_change_sends_nothing(
    client: TestClient, session: Session, seeded_engine: Engine, people: People
) -> None:
    with fresh_key(seeded_engine, people.member.user_id) as headers:
        hook_id = register(client, headers, "https://partenaire.example.org/retex")["id"]
        new_case(session)
        assert _deliveries(session, hook_id) == 1  # written in the change's own transaction…
        session.rollback()
        assert _deliveries(session, hook_id) == 0  # …and gone with it


def test_a_failing_receiver_sees_retries_with_growing_delays_then_a_redelivery(
    client: TestClient, session: Session, seeded_engine: Engine, settings: Settings, people: People
) -> None:
    sender = worker(
        seeded_engine,
        settings,
        webhook_retry_base_seconds=0.1,
        webhook_max_attempts=4,
        webhook_disable_after=100,
    )
    with receiver(status=500) as rec, fresh_key(seeded_engine, people.member.user_id) as headers:
        hook = register(client, headers, rec.url, ["case.published"])
        new_case(session)
        session.commit()
        deadline = time.monotonic() + 30
        while len(rec.requests) < 4 or _log(client, headers, hook["id"])[0]["state"] == "pending":
            assert time.monotonic() < deadline
            sender.run_once()
            time.sleep(0.01)
        times = [r.at for r in rec.requests]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        configured = [0.1 * 2**n for n in (1, 2, 3)]  # backoff after the 1st, 2nd, 3rd failure
        assert len(rec.requests) == 4 and len({r.delivery_id for r in rec.requests}) == 1
        assert all(gap >= wait for gap, wait in zip(gaps, configured, strict=True)), (gaps, configured)
        assert gaps[0] < gaps[1] < gaps[2]
        dead = _log(client, headers, hook["id"])[0]
        assert (dead["state"], dead["attempts"], dead["last_status_code"]) == ("dead", 4, 500)
        assert dead["last_error"] == "réponse HTTP 500" and dead["last_duration_ms"] is not None

        rec.status = 200
        again = client.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{dead['id']}/redeliver", headers=headers
        )
        assert again.status_code == 202 and again.json()["state"] == "pending"
        assert again.json()["attempts"] == 0
        sender.run_until_idle()
        assert rec.processed[-1].delivery_id == dead["delivery_id"]  # the same idempotency key
        assert _log(client, headers, hook["id"])[0]["state"] == "delivered"
        conflict = client.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{dead['id']}/redeliver", headers=headers
        )
        assert conflict.status_code == 202  # delivered ones may be sent again too


def test_an_endpoint_that_keeps_failing_is_disabled_with_one_email(
    client: TestClient, session: Session, seeded_engine: Engine, settings: Settings, people: People
) -> None:
    sender = worker(seeded_engine, settings, webhook_retry_base_seconds=0.01, webhook_disable_after=3)
    emails = select(func.count(Email.id)).where(
        Email.kind == "webhook_disabled", Email.to_address == people.member.email
    )
    before = session.scalar(emails)
    with receiver(status=503) as rec, fresh_key(seeded_engine, people.member.user_id) as headers:
        hook = register(client, headers, rec.url, ["case.published"])
        new_case(session)
        new_case(session)
        session.commit()
        deadline = time.monotonic() + 30
        while client.get(f"/api/v1/webhooks/{hook['id']}", headers=headers).json()["active"]:
            assert time.monotonic() < deadline
            sender.run_once()
            time.sleep(0.02)
        assert len(rec.requests) == 3
        for _ in range(5):  # disabled: nothing more is sent
            time.sleep(0.05)
            sender.run_once()
        assert len(rec.requests) == 3
        session.expire_all()
        assert session.scalar(emails) == (before or 0) + 1
        mail = session.scalars(
            select(Email).where(Email.kind == "webhook_disabled").order_by(Email.id.desc())
        ).first()
        assert mail is not None and rec.url in mail.body and "réactivez-le" in mail.body
        shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=headers).json()
        assert shown["disabled_reason"].startswith("3 échecs d'envoi consécutifs")
        assert shown["consecutive_failures"] == 3

        rec.status = 200
        enabled = client.post(f"/api/v1/webhooks/{hook['id']}/enable", headers=headers).json()
        assert enabled["active"] is True and enabled["consecutive_failures"] == 0
        sender.run_until_idle()
        assert len(rec.processed) == 2
        assert {d["state"] for d in _log(client, headers, hook["id"])} == {"delivered"}


def test_a_redirect_is_not_followed(
    client: TestClient, session: Session, seeded_engine: Engine, settings: Settings, people: People
) -> None:
    sender = worker(seeded_engine, settings, webhook_max_attempts=1)
    with (
        receiver() as target,
        receiver(status=302, location=target.url) as rec,
        fresh_key(seeded_engine, people.member.user_id) as headers,
    ):
        hook = register(client, headers, rec.url, ["case.published"])
        new_case(session)
        session.commit()
        sender.run_until_idle()
        assert len(rec.requests) == 1 and target.requests == []
        dead = _log(client, headers, hook["id"])[0]
        assert (dead["state"], dead["last_status_code"]) == ("dead", 302)
        assert dead["last_error"].startswith("redirection non suivie")


def test_only_subscribed_events_of_valid_keys_are_queued(
    client: TestClient, session: Session, seeded_engine: Engine, people: People
) -> None:
    with (
        fresh_key(seeded_engine, people.member.user_id) as threads_only,
        fresh_key(seeded_engine, people.member.user_id) as revoked,
    ):
        listening = register(client, threads_only, "https://partenaire.example.org/a", ["thread.created"])
        silenced = register(client, revoked, "https://partenaire.example.org/b")
        key_id = session.scalar(
            select(WebhookEndpoint.api_key_id).where(WebhookEndpoint.id == silenced["id"])
        )
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=utcnow()))
        session.commit()
        new_case(session)
        session.add(Thread(title="Ouverte à tous"))
        session.commit()
        assert _deliveries(session, silenced["id"]) == 0  # a revoked key's endpoints hear nothing
        types = session.scalars(
            select(WebhookDelivery.event_type).where(WebhookDelivery.endpoint_id == listening["id"])
        ).all()
        assert types == [WebhookEvent.thread_created]
