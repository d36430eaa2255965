"""`Idempotency-Key` on the API's POST operations (service/api/idempotency.py): a repeat gets the stored
answer and creates nothing (rows counted), another request with the same key is refused, a repeat while the
first runs gets 409, keys expire, two callers' keys never meet, a failed request gives its key back, and a
run that died without an answer frees its key when its lease ends."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy
from service.db.base import utcnow
from service.idempotency import store
from service.idempotency.models import IdempotencyKey
from service.publishing import authoring
from tests.support.people import People

CASES = "/api/v1/case-studies"
HEADER = "Idempotency-Key"
NOT_KEYED = {"createMyApiKey", "createPartnerApiKey"}  # their answer shows a secret once: never stored


def _case(title: str | None = None) -> dict[str, Any]:
    return {
        "title": title or f"Clé d'idempotence {uuid.uuid4().hex[:8]}",
        "summary": "Une expérience envoyée deux fois par un client qui n'a pas reçu la réponse.",
        "context": "Le réseau a coupé pendant l'envoi.",
        "solution": "Le client renvoie la même requête avec la même clé.",
        "status": "pilot",
        "themes": ["services-en-ligne"],
        "territory_codes": ["83050"],
        "publication_state": "draft",
    }


def _count(session: Session, title: str) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(CaseStudy).where(CaseStudy.title == title)) or 0


def _key() -> str:
    return str(uuid.uuid4())


def test_a_repeat_gets_the_stored_answer_and_creates_nothing(
    client: TestClient, people: People, session: Session
) -> None:
    body, key = _case(), _key()
    headers = {**people.headers("member"), HEADER: key}
    first = client.post(CASES, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = client.post(CASES, json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
    assert _count(session, body["title"]) == 1
    # Without a key, the same body is a new request.
    assert client.post(CASES, json=body, headers=people.headers("member")).status_code == 201
    assert _count(session, body["title"]) == 2


def test_a_browser_may_send_the_key_and_read_the_replay(client: TestClient) -> None:
    preflight = client.options(
        CASES,
        headers={
            "Origin": "https://agence.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert "idempotency-key" in preflight.headers["Access-Control-Allow-Headers"].lower()
    answer = client.get("/api/v1/themes", headers={"Origin": "https://agence.example"})
    assert "Idempotent-Replayed" in answer.headers["Access-Control-Expose-Headers"]


def test_the_same_key_for_another_request_is_refused(
    client: TestClient, people: People, session: Session
) -> None:
    body, key = _case(), _key()
    headers = {**people.headers("member"), HEADER: key}
    assert client.post(CASES, json=body, headers=headers).status_code == 201
    other = client.post(CASES, json={**body, "summary": body["summary"] + " Autre."}, headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "déjà servi pour une autre requête" in other.json()["detail"]
    assert other.json()["errors"][0]["field"] == HEADER
    elsewhere = client.post("/api/v1/case-studies/check-duplicates", json={"title": "x"}, headers=headers)
    assert elsewhere.status_code == 422
    assert _count(session, body["title"]) == 1


def test_a_failed_request_gives_its_key_back(client: TestClient, people: People, session: Session) -> None:
    body, key = _case(), _key()
    headers = {**people.headers("member"), HEADER: key}
    refused = client.post(CASES, json={**body, "status": "nonsense"}, headers=headers)
    assert refused.status_code == 422
    forbidden = client.post(CASES, json={**body, "publication_state": "published"}, headers=headers)
    assert forbidden.status_code == 403, forbidden.text  # a member cannot publish directly
    # Neither answer was stored: the key still works, for a request that succeeds this time.
    created = client.post(CASES, json=body, headers=headers)
    assert created.status_code == 201 and "Idempotent-Replayed" not in created.headers
    assert _count(session, body["title"]) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "vide"), (" ", "vide"), ("x" * 256, "trop longue"), ("cl\xe9", "ASCII imprimables")],
)
def test_an_unreadable_key_is_a_400(client: TestClient, people: People, value: str, message: str) -> None:
    headers = {**people.headers("member"), HEADER: value.encode("latin-1")}  # type: ignore[dict-item]
    response = client.post(CASES, json=_case(), headers=headers)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"] and response.json()["errors"][0]["field"] == HEADER


def test_two_callers_with_the_same_key_are_independent(
    client: TestClient, people: People, session: Session
) -> None:
    key, body = _key(), _case()
    member = client.post(CASES, json=body, headers={**people.headers("member"), HEADER: key})
    admin = client.post(CASES, json=body, headers={**people.headers("org_admin"), HEADER: key})
    assert member.status_code == admin.status_code == 201
    assert "Idempotent-Replayed" not in admin.headers and member.json()["id"] != admin.json()["id"]
    assert _count(session, body["title"]) == 2
    again = client.post(CASES, json=body, headers={**people.headers("org_admin"), HEADER: key})
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == admin.json()["id"]
    # Anonymous callers (check-duplicates needs no key) have keys of their own, per address.
    check = {"title": "Portail citoyen open source", "summary": "Un portail pour les démarches."}
    anonymous = client.post("/api/v1/case-studies/check-duplicates", json=check, headers={HEADER: key})
    assert anonymous.status_code == 200 and "Idempotent-Replayed" not in anonymous.headers
    replay = client.post("/api/v1/case-studies/check-duplicates", json=check, headers={HEADER: key})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.content == anonymous.content


def test_keys_expire_and_old_ones_are_purged(client: TestClient, people: People, session: Session) -> None:
    body, key = _case(), _key()
    headers = {**people.headers("member"), HEADER: key}
    assert client.post(CASES, json=body, headers=headers).status_code == 201
    stale = IdempotencyKey(
        caller="key:0",
        key=_key(),
        fingerprint="0" * 64,
        attempt="0" * 32,
        locked_until=utcnow() - timedelta(days=2),
        status_code=204,
        created_at=utcnow() - timedelta(days=2),
        expires_at=utcnow() - timedelta(days=1),
    )
    session.add(stale)
    session.execute(update(IdempotencyKey).where(IdempotencyKey.key == key).values(expires_at=utcnow()))
    session.commit()
    stale_id = stale.id
    again = client.post(CASES, json=body, headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers  # forgotten: runs anew
    assert _count(session, body["title"]) == 2
    assert session.get(IdempotencyKey, stale_id) is None  # purged as the new key came
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
    assert row is not None and row.status_code == 201
    ttl = row.expires_at - row.created_at
    assert ttl == timedelta(hours=24)


def test_a_run_that_died_frees_its_key_when_its_lease_ends(
    client: TestClient, people: People, session: Session
) -> None:
    body, key = _case(), _key()
    headers = {**people.headers("member"), HEADER: key}
    assert client.post(CASES, json=body, headers=headers).status_code == 201
    # As if that first run had crashed before committing: a claim without an answer, lease running.
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key)
        .values(status_code=None, locked_until=utcnow() + timedelta(seconds=30))
    )
    session.commit()
    busy = client.post(CASES, json=body, headers=headers)
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    taken_over = client.post(CASES, json=body, headers=headers)
    assert taken_over.status_code == 201 and "Idempotent-Replayed" not in taken_over.headers
    assert client.post(CASES, json=body, headers=headers).headers["Idempotent-Replayed"] == "true"


def test_a_late_run_cannot_store_over_the_run_that_took_its_key_over(session: Session) -> None:
    now, lease, ttl = utcnow(), timedelta(seconds=60), timedelta(hours=24)
    args: dict[str, Any] = {"caller": "key:takeover", "key": _key(), "fingerprint": "f" * 64}
    first = store.claim(session, **args, now=now, lease=lease, ttl=ttl)
    assert isinstance(first, store.Claim)
    session.commit()
    with pytest.raises(store.KeyInUse):
        store.claim(session, **args, now=now + timedelta(seconds=30), lease=lease, ttl=ttl)
    second = store.claim(session, **args, now=now + timedelta(seconds=61), lease=lease, ttl=ttl)
    assert isinstance(second, store.Claim) and second.attempt != first.attempt
    assert not store.complete(session, first, store.Stored(201, {}, b"late"))  # the late run rolls back
    assert store.complete(session, second, store.Stored(201, {}, b"{}"))
    session.commit()
    replay = store.claim(session, **args, now=now + timedelta(seconds=62), lease=lease, ttl=ttl)
    assert replay == store.Stored(201, {}, b"{}")
    with pytest.raises(store.KeyReused):
        store.claim(session, **{**args, "fingerprint": "e" * 64}, now=now, lease=lease, ttl=ttl)


def test_a_repeat_while_the_first_runs_gets_409(
    live_server: str, people: People, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, key = _case(), _key()
    headers = {**people.headers("member"), HEADER: key}
    started, go = threading.Event(), threading.Event()
    create_as = authoring.create_as

    def held(*args: Any, **kwargs: Any) -> Any:
        started.set()
        assert go.wait(30)
        return create_as(*args, **kwargs)

    monkeypatch.setattr(authoring, "create_as", held)
    answers: list[httpx.Response] = []
    first = threading.Thread(
        target=lambda: answers.append(
            httpx.post(f"{live_server}{CASES}", json=body, headers=headers, timeout=60)
        )
    )
    first.start()
    try:
        assert started.wait(30)
        duplicate = httpx.post(f"{live_server}{CASES}", json=body, headers=headers, timeout=60)
        assert duplicate.status_code == 409, duplicate.text
        assert duplicate.headers["Retry-After"] == "1" and "encore en cours" in duplicate.json()["detail"]
    finally:
        go.set()
        first.join(60)
    assert answers[0].status_code == 201, answers[0].text
    later = httpx.post(f"{live_server}{CASES}", json=body, headers=headers, timeout=60)
    assert later.headers["Idempotent-Replayed"] == "true" and later.json()["id"] == answers[0].json()["id"]
    assert _count(session, body["title"]) == 1


def test_every_post_operation_documents_the_header(app: FastAPI) -> None:
    spec = app.openapi()  # the published document (the live server of the test above holds the app)
    posts = {
        op["operationId"]: op for path, item in spec["paths"].items() for m, op in item.items() if m == "post"
    }
    assert len(posts) > 15
    keyed = {name for name, op in posts.items() if any(p["name"] == HEADER for p in op.get("parameters", []))}
    assert set(posts) - keyed == NOT_KEYED
    for name in keyed:
        responses = posts[name]["responses"]
        success = next(r for s, r in responses.items() if s.startswith("2"))
        assert "Idempotent-Replayed" in success["headers"], name
        assert "Retry-After" in responses["409"]["headers"] and "400" in responses, name
