"""Issue 20: the deprecation policy's helper — a retired operation says so in the OpenAPI document and
in the RFC 9745 / RFC 8594 headers of every answer, after at least six months of notice."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from service.api.deprecation import deprecation, deprecation_headers

SINCE = datetime(2026, 12, 1, tzinfo=UTC)
SUNSET = datetime(2027, 7, 1, tzinfo=UTC)
LINK = "https://retex.example.fr/docs/api#changelog"


def _app() -> FastAPI:
    app = FastAPI()
    router = APIRouter()

    @router.get("/old", **deprecation(since=SINCE, sunset=SUNSET, link=LINK))
    def old() -> dict[str, str]:
        return {"use": "/new"}

    @router.get("/new")
    def new() -> dict[str, str]:
        return {}

    app.include_router(router)
    return app


def test_a_deprecated_operation_announces_its_sunset() -> None:
    app = _app()
    client = TestClient(app)
    answer = client.get("/old")
    assert answer.status_code == 200 and answer.json() == {"use": "/new"}
    assert answer.headers["Deprecation"] == f"@{int(SINCE.timestamp())}"
    assert parsedate_to_datetime(answer.headers["Sunset"]) == SUNSET
    assert answer.headers["Link"] == f'<{LINK}>; rel="deprecation"'
    assert "Deprecation" not in client.get("/new").headers
    operations = app.openapi()["paths"]
    assert operations["/old"]["get"]["deprecated"] is True
    assert "deprecated" not in operations["/new"]["get"]


def test_the_policy_refuses_a_short_notice() -> None:
    with pytest.raises(ValueError, match="180 days"):
        deprecation_headers(since=SINCE, sunset=datetime(2027, 1, 1, tzinfo=UTC), link=LINK)
