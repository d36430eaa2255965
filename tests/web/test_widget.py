"""The embeddable widget: partners frame it; no other page may be framed."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_widget_lists_a_themes_cases_and_may_be_framed_by_anyone(client: TestClient) -> None:
    theme = client.get("/widget", params={"theme": "achats-mutualisation"})
    assert theme.status_code == 200 and "Achats" in theme.text
    response = client.get("/widget", params={"limit": 3})
    assert response.text.count('href="http://testserver/experiences/') == 3
    assert 'target="_blank"' in response.text
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers


def test_other_pages_still_refuse_to_be_framed(client: TestClient) -> None:
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_widget_for_a_territory_and_unknown_theme(client: TestClient) -> None:
    territory = client.get("/widget", params={"territory": "83050"})
    assert territory.status_code == 200 and "Draguignan" in territory.text
    assert client.get("/widget", params={"theme": "pas-un-theme"}).status_code == 404
