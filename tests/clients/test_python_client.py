"""The Python client (clients/python) without a server: retries and their delays, errors, parameters,
lazy pagination and tolerant models on a local httpx.MockTransport; the webhook signature check on
vectors computed here with hmac."""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from retex_client import (
    ApiError,
    AuthenticationError,
    CaseStudySummary,
    NotFoundError,
    RateLimitedError,
    RetexClient,
    RetexConnectionError,
    RetexError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    WebhookSignatureError,
    verify_webhook_signature,
)
from retex_client.errors import parse_retry_after
from retex_client.quotas import Quota, parse_rate_limit

from tests.support.paths import REPO

pytestmark = pytest.mark.nodb

BASE = "http://retex.test"
CASE = {
    "id": 1,
    "slug": "portail-citoyen",
    "title": "Portail citoyen",
    "summary": "Un portail.",
    "status": "deployed",
    "publication_state": "published",
    "themes": [{"slug": "open-data", "label": "Open data"}],
    "territories": [{"code": "83050", "name": "Draguignan", "kind": "commune"}],
    "organisation": None,
    "updated_at": "2026-11-26T10:11:50.893539+00:00",
}
PROBLEM = "application/problem+json"


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    body = {"type": "about:blank", "title": "Trop de requêtes", "status": status, "detail": detail, **extra}
    return httpx.Response(status, json=body, headers={"content-type": PROBLEM, **(headers or {})})


class Recorder:
    """A MockTransport answering from a list of responses (the last one repeats), keeping the requests."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer(request) if callable(answer) else answer

    def client(self, **options: Any) -> RetexClient:
        options.setdefault("sleep", self.sleeps.append)
        return RetexClient(BASE, transport=httpx.MockTransport(self.handle), **options)


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


# -- retries


def test_a_429_is_retried_after_its_retry_after() -> None:
    server = Recorder(problem(429, "Réessayez dans 7 s.", {"Retry-After": "7"}), ok([]))
    assert server.client().list_themes() == []
    assert server.sleeps == [7.0] and len(server.requests) == 2


def test_the_client_really_waits_retry_after() -> None:
    server = Recorder(problem(429, "Réessayez dans 1 s.", {"Retry-After": "1"}), ok([]))
    started = time.monotonic()
    RetexClient(BASE, transport=httpx.MockTransport(server.handle)).list_themes()
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 3.0
    assert len(server.requests) == 2


def test_a_retry_after_beyond_the_cap_is_raised_at_once() -> None:
    server = Recorder(problem(429, "Réessayez dans 2 minutes.", {"Retry-After": "120"}), ok([]))
    with pytest.raises(RateLimitedError) as raised:
        server.client(max_retry_wait=30).list_themes()
    assert raised.value.retry_after == 120 and raised.value.status == 429
    assert raised.value.detail == "Réessayez dans 2 minutes."
    assert server.sleeps == [] and len(server.requests) == 1


def test_max_attempts_bounds_the_retries() -> None:
    server = Recorder(problem(503, "La recherche démarre.", {"Retry-After": "2"}))
    with pytest.raises(ServiceUnavailableError) as raised:
        server.client(max_attempts=3).list_themes()
    assert len(server.requests) == 3 and server.sleeps == [2.0, 2.0]
    assert raised.value.retry_after == 2


def test_a_503_without_retry_after_backs_off_for_a_get_only() -> None:
    server = Recorder(httpx.Response(503, text="<html>Bad gateway</html>"))
    with pytest.raises(ServiceUnavailableError) as raised:
        server.client(max_attempts=4, backoff=0.5).list_themes()
    assert server.sleeps == [0.5, 1.0, 2.0]
    assert raised.value.retry_after is None and "Bad gateway" in raised.value.detail
    # A POST without Idempotency-Key that may have taken effect is not repeated.
    post = Recorder(httpx.Response(503, text="upstream timeout"))
    with pytest.raises(ServiceUnavailableError):
        post.client().request("POST", "/threads", json={"title": "Une question"}, idempotency_key=False)
    assert len(post.requests) == 1 and post.sleeps == []
    assert "Idempotency-Key" not in post.requests[0].headers


def test_a_keyed_post_is_retried_with_the_same_key() -> None:
    thread = {"id": 5, "title": "Une question", "created_at": "2026-12-01T10:00:00+00:00"}
    server = Recorder(
        httpx.Response(503, text="upstream timeout"),
        problem(409, "Une requête avec cette clé est encore en cours.", {"Retry-After": "1"}),
        httpx.Response(201, json=thread, headers={"Idempotent-Replayed": "true"}),
    )
    retex = server.client(backoff=0.5)
    assert retex.create_thread(title="Une question", body="Texte", theme="open-data").id == 5
    keys = [r.headers["Idempotency-Key"] for r in server.requests]
    assert len(keys) == 3 and len(set(keys)) == 1 and server.sleeps == [0.5, 1.0]
    assert str(uuid.UUID(keys[0], version=4)) == keys[0]
    # The next call is another request: another key. A key of one's own is sent as given.
    retex.create_thread(title="Une autre", body="Texte", theme="open-data")
    assert server.requests[-1].headers["Idempotency-Key"] not in keys
    retex.request("POST", "/threads", json={}, idempotency_key="import-2026-12-04-ligne-17")
    assert server.requests[-1].headers["Idempotency-Key"] == "import-2026-12-04-ligne-17"


def test_a_conflict_without_retry_after_is_not_retried() -> None:
    # A 409 of the resource's state (not of a running key) is the caller's to read.
    server = Recorder(problem(409, "Une expérience publiée ne peut pas devenir brouillon."))
    with pytest.raises(ApiError) as raised:
        server.client().create_thread(title="Une question", body="Texte", theme="open-data")
    assert raised.value.status == 409 and len(server.requests) == 1


def test_a_post_is_retried_when_the_server_said_retry_after() -> None:
    thread = {"id": 5, "title": "Une question", "created_at": "2026-12-01T10:00:00+00:00"}
    server = Recorder(
        problem(429, "Trop de messages.", {"Retry-After": "3"}), httpx.Response(201, json=thread)
    )
    created = server.client().create_thread(title="Une question", body="Texte", theme="open-data")
    assert created.id == 5 and server.sleeps == [3.0]
    assert [r.method for r in server.requests] == ["POST", "POST"]
    sent = {"title": "Une question", "body": "Texte", "theme": "open-data"}
    assert json.loads(server.requests[1].content) == sent


def test_other_errors_are_never_retried() -> None:
    server = Recorder(problem(500, "Erreur interne."))
    with pytest.raises(ServerError):
        server.client().list_themes()
    assert len(server.requests) == 1


def test_retry_after_as_an_http_date() -> None:
    later = datetime.now(UTC) + timedelta(seconds=30)
    seconds = parse_retry_after(format_datetime(later, usegmt=True))
    assert seconds is not None and 28 <= seconds <= 30
    assert parse_retry_after("demain") is None and parse_retry_after(None) is None


def test_a_network_failure_is_a_client_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(RetexConnectionError):
        RetexClient(BASE, transport=httpx.MockTransport(refuse)).list_themes()


def test_the_quotas_told_by_the_last_answer() -> None:
    told = {"RateLimit": '"key";r=598;t=41, "anonymous-search";r=3;t=41'}
    server = Recorder(httpx.Response(200, json=[], headers=told), ok([]))
    client = server.client()
    client.list_themes()
    assert client.rate_limit == {
        "key": Quota("key", remaining=598, reset=41),
        "anonymous-search": Quota("anonymous-search", remaining=3, reset=41),
    }
    client.list_themes()  # an answer that tells nothing keeps what was last told
    assert client.rate_limit["key"].remaining == 598
    assert parse_rate_limit('"key";r=x;t=1, "ok";r=0;t=9, junk') == {"ok": Quota("ok", 0, 9)}
    assert parse_rate_limit(None) == {}


def test_the_client_stands_alone() -> None:
    # A partner installs clients/python without Retex: it imports only the standard library, httpx, pydantic.
    allowed = {"retex_client", "httpx", "pydantic", "__future__"}
    stdlib = set(sys.stdlib_module_names)
    for path in (REPO / "clients" / "python" / "retex_client").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or top in stdlib, f"{path.name} imports {name}"


# -- errors


def test_errors_carry_the_problem_details() -> None:
    invalid = problem(
        422,
        "La requête contient des erreurs.",
        errors=[{"field": "themes", "message": "paramètre inconnu ; vouliez-vous dire « theme » ?"}],
    )
    server = Recorder(invalid)
    with pytest.raises(ValidationError) as raised:
        server.client().search("eau", extra={"themes": "eau"})
    error = raised.value
    assert error.status == 422 and error.detail == "La requête contient des erreurs."
    assert error.errors[0].field == "themes" and "vouliez-vous dire" in error.errors[0].message
    assert str(error).startswith("422 ")
    with pytest.raises(NotFoundError):
        Recorder(problem(404, "Territoire introuvable.")).client().get_territory("99999")
    with pytest.raises(AuthenticationError):
        Recorder(problem(401, "Clé inconnue.")).client().list_themes()


# -- requests


def test_key_user_agent_and_parameters() -> None:
    server = Recorder(ok({"items": [], "total": 0, "page": 1, "facets": {}, "mode": "hybrid"}))
    client = server.client(api_key="rtx_secret", user_agent="agence-numerique/2.0")
    client.search("eau potable", theme=["eau", "open-data"], year=2024, page_size=5, region=None)
    request = server.requests[0]
    assert request.headers["Authorization"] == "Bearer rtx_secret"
    assert request.headers["User-Agent"].startswith("agence-numerique/2.0 retex-client-python/")
    assert request.url.path == "/api/v1/search"
    assert request.url.params.multi_items() == [
        ("q", "eau potable"),
        ("page_size", "5"),
        ("theme", "eau"),
        ("theme", "open-data"),
        ("year", "2024"),
    ]
    anonymous = Recorder(ok([]))
    anonymous.client().list_themes()
    assert "Authorization" not in anonymous.requests[0].headers
    with pytest.raises(ValueError):
        RetexClient(BASE, api_key="rtx_ secret")


def test_path_segments_are_escaped() -> None:
    server = Recorder(ok({"slug": "a/b", "label": "A"}))
    server.client().get_theme("a/b")
    assert server.requests[0].url.raw_path == b"/api/v1/themes/a%2Fb"


# -- pagination and models


def test_pages_are_fetched_lazily_and_followed_to_the_end() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        start = int(cursor) if cursor else 0
        items = [{**CASE, "id": i, "slug": f"c{i}"} for i in range(start, min(start + 2, 5))]
        following = str(start + 2) if start + 2 < 5 else None
        return ok({"items": items, "total": 5, "next": following})

    server = Recorder(page)
    walk = server.client().iter_case_studies(page_size=2, theme="open-data")
    assert server.requests == []  # nothing fetched before the first item is asked for
    first = next(walk)
    assert first.id == 0 and len(server.requests) == 1
    rest = list(walk)
    assert [c.id for c in rest] == [1, 2, 3, 4] and len(server.requests) == 3
    assert all(r.url.params["theme"] == "open-data" and r.url.params["limit"] == "2" for r in server.requests)


def test_a_cursor_that_comes_back_stops_the_walk() -> None:
    server = Recorder(ok({"items": [CASE], "total": 9, "next": "same"}))
    with pytest.raises(RetexError, match="deux fois"):
        list(server.client().iter_case_studies())


def test_updated_since_walks_a_mirrored_list_in_change_order() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/removals"):
            removal = {"id": 3, "kind": "case-study", "entity_id": 1, "slug": "c1", "reason": "archived"}
            return ok(
                {"items": [{**removal, "removed_at": "2026-12-02T09:00:00Z"}], "total": 1, "next": None}
            )
        if request.url.path.endswith("/events"):
            item = {"id": 7, "title": "IntercoTOUR", "updated_at": "2026-12-02T08:00:00Z"}
            return ok({"items": [item], "total": 1, "next": None})
        cursor = request.url.params.get("cursor")
        items = [{**CASE, "id": 2 if cursor else 1}]
        return ok({"items": items, "total": 2, "next": None if cursor else "k1"})

    server = Recorder(page)
    retex = server.client()
    since = datetime(2026, 12, 1, 8, tzinfo=UTC)
    cases = list(retex.iter_updated_since("case-studies", since, page_size=1))
    assert [c.id for c in cases] == [1, 2] and isinstance(cases[0], CaseStudySummary)
    first, second = server.requests
    assert first.url.path == "/api/v1/case-studies" and second.url.params["cursor"] == "k1"
    assert (
        first.url.params["updated_since"] == "2026-12-01T08:00:00+00:00" and first.url.params["limit"] == "1"
    )
    assert b"%2B00%3A00" in first.url.query  # the « + » of the offset encoded, never a space
    event = next(retex.iter_updated_since("events", "2026-12-01T08:00:00Z"))
    assert event.id == 7 and event.model_extra == {"title": "IntercoTOUR"}
    removal = next(retex.removals(since, kind="case-study"))
    assert removal.entity_id == 1 and removal.removed_at > since
    assert server.requests[-1].url.params["kind"] == "case-study"
    everything = Recorder(page)
    assert len(list(everything.client().removals())) == 1
    assert "since" not in everything.requests[0].url.params  # the whole feed
    with pytest.raises(ValueError, match="fuseau"):
        list(retex.iter_updated_since("case-studies", datetime(2026, 12, 1, 8)))
    with pytest.raises(ValueError, match="recopiable"):
        list(retex.iter_updated_since("users", since))  # type: ignore[call-overload]


def test_unknown_fields_and_values_are_tolerated() -> None:
    newer = {**CASE, "status": "statut-futur", "removed_at": None, "score_v2": {"x": 1}}
    case = CaseStudySummary.model_validate(newer)
    assert case.status == "statut-futur"
    assert case.model_extra == {"removed_at": None, "score_v2": {"x": 1}}
    assert case.updated_at.tzinfo is not None


# -- webhook signatures (vectors computed here, independently of the client)

SECRET = "whsec_0123456789abcdef"
BODY = b'{"type":"case.published","id":"evt_1","data":{"id":42}}'
T0 = 1_764_000_000


def vector(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_a_known_vector() -> None:
    # Fixed inputs, fixed output: the scheme must not drift.
    assert vector("secret", b"{}", 1) == hmac.new(b"secret", b"1.{}", hashlib.sha256).hexdigest()
    header = f"t={T0},v1={vector(SECRET, BODY, T0)}"
    assert verify_webhook_signature(SECRET, BODY, {"Retex-Signature": header}, now=T0 + 10) == T0
    # Any case of the header name, a str body, bytes secret, a second (rotated) v1.
    rotated = f"t={T0}, v1={'0' * 64}, v1={vector(SECRET, BODY, T0)}"
    assert (
        verify_webhook_signature(SECRET.encode(), BODY.decode(), {"retex-signature": rotated}, 300, now=T0)
        == T0
    )
    assert verify_webhook_signature(SECRET, BODY, httpx.Headers({"RETEX-SIGNATURE": header}), now=T0) == T0


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (f"t={T0},v1={vector(SECRET, BODY, T0)}", BODY + b" ", T0, "signature invalide"),
        (f"t={T0},v1={vector('whsec_autre', BODY, T0)}", BODY, T0, "signature invalide"),
        (f"t={T0 + 1},v1={vector(SECRET, BODY, T0)}", BODY, T0, "signature invalide"),
        (f"t={T0},v1={vector(SECRET, BODY, T0)}", BODY, T0 + 301, "fenêtre de rejeu"),
        (f"t={T0},v1={vector(SECRET, BODY, T0)}", BODY, T0 - 301, "fenêtre de rejeu"),
        (f"v1={vector(SECRET, BODY, T0)}", BODY, T0, "illisible"),
        (f"t=hier,v1={vector(SECRET, BODY, T0)}", BODY, T0, "illisible"),
        (None, BODY, T0, "absent"),
    ],
)
def test_a_forged_late_or_missing_signature_is_refused(
    header: str | None, body: bytes, now: int, reason: str
) -> None:
    headers = {"Retex-Signature": header} if header is not None else {"Content-Type": "application/json"}
    with pytest.raises(WebhookSignatureError, match=reason):
        verify_webhook_signature(SECRET, body, headers, 300, now=now)


def test_the_replay_window_is_the_tolerance() -> None:
    header = {"Retex-Signature": f"t={T0},v1={vector(SECRET, BODY, T0)}"}
    assert verify_webhook_signature(SECRET, BODY, header, tolerance=600, now=T0 + 599) == T0
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(SECRET, BODY, header, tolerance=60, now=T0 + 61)
