"""API keys: partner keys read and search only, scopes, revocation, per-key quotas, hashed storage, and
who may create them."""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.accounts.api_keys import create_api_key
from service.accounts.models import ApiKey
from service.authz.principal import Scope
from tests.service.accounts_support import CASES, bearer, case_payload, fresh_window, new_person, post_form
from tests.support.api import all_items
from tests.support.people import People
from tests.support.web import log_in

KEYS = "/api/v1/api-keys"


def _partner_key(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(KEYS, json={"name": "Agence régionale du numérique", **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_partner_key_reads_and_searches_but_never_writes(client: TestClient, people: People) -> None:
    partner = people.headers("partner")
    listed = client.get(CASES, params={"limit": 2}, headers=partner)
    assert listed.status_code == 200 and listed.json()["items"]
    case_id = listed.json()["items"][0]["id"]
    assert client.get(f"{CASES}/{case_id}", headers=partner).status_code == 200
    found = client.get("/api/v1/search", params={"q": "portail citoyen"}, headers=partner)
    assert found.status_code == 200, found.text

    writes = [
        client.post(CASES, json=case_payload(), headers=partner),
        client.patch(f"{CASES}/{case_id}", json={"title": "Titre détourné"}, headers=partner),
        client.delete(f"{CASES}/{case_id}", headers=partner),
        client.post(
            "/api/v1/reports",
            json={"target_type": "case_study", "target_id": case_id, "reason": "je signale"},
            headers=partner,
        ),
        client.post(KEYS, json={"name": "une autre"}, headers=partner),
    ]
    for response in writes:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "clé partenaire ne permet que la lecture et la recherche" in response.json()["detail"]
    assert client.get(f"{CASES}/{case_id}").json()["title"] == listed.json()["items"][0]["title"]


def test_a_search_only_key_cannot_list_case_studies(
    client: TestClient, people: People, admin_headers: dict[str, str]
) -> None:
    key = _partner_key(client, admin_headers, scopes=["search"])
    assert key["scopes"] == ["search"]
    headers = _auth(key["secret"])
    refused = client.get(CASES, headers=headers)
    assert refused.status_code == 403
    assert "read" in refused.json()["detail"]
    assert client.get("/api/v1/search", params={"q": "open data"}, headers=headers).status_code == 200


def test_revoked_key_is_refused(
    client: TestClient, people: People, seeded_engine: Engine, admin_headers: dict[str, str]
) -> None:
    key = _partner_key(client, admin_headers)
    headers = _auth(key["secret"])
    assert client.get(CASES, headers=headers).status_code == 200
    assert client.delete(f"{KEYS}/{key['id']}", headers=people.headers("admin")).status_code == 204
    refused = client.get(CASES, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("Clé d'API révoquée")
    assert refused.headers["WWW-Authenticate"] == "Bearer"

    # A member revokes their own personal key the same way.
    person = new_person(seeded_engine)
    (mine,) = all_items(client, "/api/v1/me/api-keys", bearer(person))
    assert client.delete(f"/api/v1/me/api-keys/{mine['id']}", headers=bearer(person)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(person)).status_code == 401


def test_unknown_key_is_refused_even_on_public_reads(client: TestClient) -> None:
    assert client.get(CASES, headers=_auth("rtx_inventee")).status_code == 401
    assert client.get(CASES, headers=_auth("n'importe quoi")).status_code == 401


def test_quota_per_key_then_429_with_retry_after(
    client: TestClient, people: People, admin_headers: dict[str, str]
) -> None:
    key = _partner_key(client, admin_headers, rate_limit_per_minute=3)
    assert key["rate_limit_per_minute"] == 3
    headers = _auth(key["secret"])
    fresh_window(60)
    for _ in range(3):
        assert client.get(CASES, params={"limit": 1}, headers=headers).status_code == 200
    over = client.get(CASES, params={"limit": 1}, headers=headers)
    assert over.status_code == 429
    assert 0 < int(over.headers["Retry-After"]) <= 60
    assert "Quota de la clé dépassé (3 requêtes par minute)" in over.json()["detail"]
    # The quota is the key's own: another key is not slowed down.
    assert client.get(CASES, params={"limit": 1}, headers=people.headers("partner")).status_code == 200


def test_secret_is_shown_once_and_stored_hashed(
    client: TestClient, people: People, seeded_engine: Engine, admin_headers: dict[str, str]
) -> None:
    key = _partner_key(client, admin_headers)
    secret = key["secret"]
    assert secret.startswith("rtx_") and len(secret) > 40
    listing = all_items(client, KEYS, people.headers("admin"))
    assert key["id"] in [k["id"] for k in listing]
    assert secret not in str(listing) and all("secret" not in k for k in listing)
    with Session(seeded_engine) as db:
        row = db.scalar(select(ApiKey).where(ApiKey.id == key["id"]))
        assert row is not None
        stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
    assert not any(secret in value for value in stored), "the secret itself is not in the database"
    assert secret[:12] in stored, "only a prefix, to recognise the key in lists"


def test_only_admins_create_partner_keys(
    client: TestClient, people: People, admin_headers: dict[str, str]
) -> None:
    for who in ("member", "moderator", "org_admin"):
        refused = client.post(KEYS, json={"name": "ma clé partenaire"}, headers=people.headers(who))
        assert refused.status_code == 403, who
        assert "Réservé aux administrateurs" in refused.json()["detail"]
        assert client.get(KEYS, headers=people.headers(who)).status_code == 403
    anonymous = client.post(KEYS, json={"name": "anonyme"})
    assert anonymous.status_code == 401
    # The operator token may too (first set-up, scripts).
    assert client.post(KEYS, json={"name": "script"}, headers=admin_headers).status_code == 201
    # A partner key never gets the right to write.
    write = client.post(KEYS, json={"name": "trop", "scopes": ["write"]}, headers=admin_headers)
    assert write.status_code == 422
    assert write.json()["errors"][0]["field"].startswith("scopes")


def test_personal_keys_act_within_their_scopes(client: TestClient, seeded_engine: Engine) -> None:
    person = new_person(seeded_engine)
    with Session(seeded_engine) as db:  # made on the site (a key never makes keys: test below)
        _, secret = create_api_key(
            db, name="tableau de bord", scopes=frozenset({Scope.read}), rate_limit_per_minute=600,
            user_id=person.user_id, created_by_id=person.user_id,
        )  # fmt: skip
        db.commit()
    read_only = _auth(secret)
    assert client.get(CASES, headers=read_only).status_code == 200
    refused = client.post(CASES, json=case_payload(), headers=read_only)
    assert refused.status_code == 403
    assert "droit « write »" in refused.json()["detail"]
    assert client.post(CASES, json=case_payload(), headers=bearer(person)).status_code == 201

    unverified = new_person(seeded_engine, verified=False)
    browser = TestClient(client.app)
    log_in(browser, unverified)
    no_key = post_form(browser, "/compte", "/compte/cles", {"name": "pas encore", "scopes": "read"})
    assert no_key.status_code == 403
    assert "Confirmez d'abord votre adresse e-mail" in html.unescape(no_key.text)


def test_a_deactivated_account_loses_its_keys(
    client: TestClient, people: People, seeded_engine: Engine
) -> None:
    person = new_person(seeded_engine)
    assert client.get("/api/v1/me", headers=bearer(person)).status_code == 200
    off = client.patch(
        f"/api/v1/users/{person.user_id}", json={"is_active": False}, headers=people.headers("admin")
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=bearer(person)).status_code == 401
    assert client.get(CASES, headers=bearer(person)).status_code == 401
    back = client.patch(
        f"/api/v1/users/{person.user_id}", json={"is_active": True}, headers=people.headers("admin")
    )
    assert back.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(person)).status_code == 401, "revoked, not suspended"
    assert (
        client.patch(
            f"/api/v1/users/{person.user_id}", json={"is_active": False}, headers=people.headers("moderator")
        ).status_code
        == 403
    )
