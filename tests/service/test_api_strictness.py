"""Partner API 2.0, strictness (issue 20): a misspelt parameter or credential is refused with a message
that says how to fix it, never silently ignored; every answer counted by a budget tells its quota in the
IETF RateLimit-Policy / RateLimit header fields."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from service.accounts.api_keys import PARTNER_SCOPES, create_api_key
from service.accounts.models import ApiKey
from service.app import create_app
from service.db.base import utcnow
from service.settings import Settings
from tests.service.accounts_support import fresh_window
from tests.support.people import People

CASES = "/api/v1/case-studies"
# draft-ietf-httpapi-ratelimit-headers: a list of sf-strings with integer parameters.
POLICY = re.compile(r'^"(?P<name>[a-z-]+)";q=(?P<q>\d+);w=(?P<w>\d+)$')
STATE = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


def _fields(header: str, pattern: re.Pattern[str]) -> dict[str, dict[str, int]]:
    parsed = {}
    for item in header.split(", "):
        match = pattern.match(item)
        assert match, f"not a structured-field item: {item!r}"
        values = match.groupdict()
        name = values.pop("name")
        parsed[name] = {k: int(v) for k, v in values.items()}
    return parsed


def _quotas(response: object) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    headers = response.headers  # type: ignore[attr-defined]
    return _fields(headers["RateLimit-Policy"], POLICY), _fields(headers["RateLimit"], STATE)


def _key(engine: Engine, *, per_minute: int = 1000) -> tuple[int, str]:
    with Session(engine) as db:
        key, secret = create_api_key(
            db,
            name=f"partenaire {uuid.uuid4().hex[:6]}",
            scopes=PARTNER_SCOPES,
            rate_limit_per_minute=per_minute,
            user_id=None,
            created_by_id=None,
        )
        db.commit()
        return key.id, secret


def _browser(app: FastAPI) -> TestClient:
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    return TestClient(app, client=(ip, 50000), raise_server_exceptions=False)


def test_a_misspelt_filter_is_refused_with_the_closest_name(client: TestClient) -> None:
    refused = client.get("/api/v1/search", params={"q": "open data", "themes": "open-data"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"field": "themes", "message": "paramètre inconnu ; vouliez-vous dire « theme » ?"}
    ]
    # Nothing close: the accepted names are listed, so the caller sees `departement` is no filter here.
    listed = client.get(CASES, params={"departement": "83", "limit": 5})
    assert listed.status_code == 422
    (error,) = listed.json()["errors"]
    assert error["field"] == "departement" and "theme" in error["message"] and "territory" in error["message"]
    # Every unknown name is reported at once, and a route with no parameter says so.
    both = client.get(CASES, params={"lmit": 5, "curser": "x"}).json()["errors"]
    assert [(e["field"], e["message"].split("« ")[-1]) for e in both] == [
        ("curser", "cursor » ?"),
        ("lmit", "limit » ?"),
    ]
    assert "n'en accepte aucun" in client.get("/api/v1/themes", params={"page": 2}).json()["detail"]


def test_known_parameters_still_filter(client: TestClient) -> None:
    everything = client.get(CASES, params={"limit": 1}).json()["total"]
    themed = client.get(CASES, params={"limit": 1, "theme": "open-data"})
    assert themed.status_code == 200
    assert 0 < themed.json()["total"] < everything


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({"Authorization": "rtx_0123456789abcdef"}, "Unreadable Authorization header"),
        ({"Authorization": "Token rtx_0123456789abcdef"}, "Unreadable Authorization header"),
        ({"Authorization": "Bearer"}, "Unreadable Authorization header"),
        ({"X-API-Key": "rtx_0123456789abcdef"}, "The X-API-Key header is not read"),
        ({"Authorization": "Bearer rtx_not-a-key"}, "Unknown API key"),
    ],
)
def test_a_credential_the_api_cannot_use_is_never_served_as_anonymous(
    client: TestClient, headers: dict[str, str], says: str
) -> None:
    refused = client.get(CASES, params={"limit": 1}, headers=headers)
    assert refused.status_code == 401, refused.text
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    detail = refused.json()["detail"]
    assert says in detail  # English
    assert re.search(r"(illisible|n'est pas lu|inconnue)", detail)  # French
    if "Unknown" not in says:
        assert "Authorization: Bearer rtx_…" in detail


def test_an_expired_key_says_so(client: TestClient, seeded_engine: Engine) -> None:
    key_id, secret = _key(seeded_engine)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(CASES, params={"limit": 1}, headers=headers).status_code == 200
    with Session(seeded_engine) as db:
        db.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=utcnow() - timedelta(days=1)))
        db.commit()
    refused = client.get(CASES, params={"limit": 1}, headers=headers)
    assert refused.status_code == 401
    assert "Clé d'API expirée" in refused.json()["detail"] and "Expired API key" in refused.json()["detail"]


def test_keyed_answers_tell_the_key_quota(client: TestClient, seeded_engine: Engine) -> None:
    fresh_window(60)
    _, secret = _key(seeded_engine, per_minute=3)
    headers = {"Authorization": f"Bearer {secret}"}
    remaining = []
    for _ in range(3):
        answer = client.get(CASES, params={"limit": 1}, headers=headers)
        assert answer.status_code == 200
        policy, state = _quotas(answer)
        assert policy == {"key": {"q": 3, "w": 60}}
        assert 0 < state["key"]["t"] <= 60
        remaining.append(state["key"]["r"])
    assert remaining == [2, 1, 0]
    # Past the quota, and on an error answer too: the headers agree with Retry-After.
    refused = client.get(CASES + "/999999999", headers=headers)
    assert refused.status_code == 429
    policy, state = _quotas(refused)
    assert state["key"]["r"] == 0 and state["key"]["t"] == int(refused.headers["Retry-After"])


def test_anonymous_answers_tell_the_per_address_budgets(
    settings: Settings, seeded_engine: Engine, people: People
) -> None:
    fresh_window(60)
    app = create_app(settings.model_copy(update={"anonymous_reads_per_minute": 4}))
    with _browser(app) as browser:  # started: the search engine is open
        read = browser.get(CASES, params={"limit": 1})
        policy, state = _quotas(read)
        assert policy == {"anonymous": {"q": 4, "w": 60}} and state["anonymous"]["r"] == 3
        # A search also spends the search budget (each one computes an embedding): both are told.
        found = browser.get("/api/v1/search", params={"q": "portail citoyen"})
        assert found.status_code == 200, found.text
        policy, state = _quotas(found)
        assert policy["anonymous-search"] == {"q": settings.anonymous_searches_per_minute, "w": 60}
        assert state["anonymous"]["r"] == 2
        # A refused parameter was counted too, and says so.
        assert _quotas(browser.get(CASES, params={"lmit": 1}))[1]["anonymous"]["r"] == 1
        browser.get(CASES, params={"limit": 1})
        refused = browser.get(CASES, params={"limit": 1})
        assert refused.status_code == 429 and "sans clé d'API" in refused.json()["detail"]
        assert _quotas(refused)[1]["anonymous"]["r"] == 0
        # The budget is per address: a key is not slowed down by it, and another address starts afresh.
        keyed = browser.get(CASES, params={"limit": 1}, headers=people.headers("partner"))
        assert keyed.status_code == 200 and "anonymous" not in keyed.headers["RateLimit-Policy"]
        assert _browser(app).get(CASES, params={"limit": 1}).status_code == 200


def test_the_rate_limit_headers_are_readable_cross_origin(client: TestClient, people: People) -> None:
    answer = client.get(CASES, params={"limit": 1}, headers={"Origin": "https://agence.example"})
    exposed = answer.headers["Access-Control-Expose-Headers"]
    assert "RateLimit" in exposed and "RateLimit-Policy" in exposed
