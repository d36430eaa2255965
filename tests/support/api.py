"""Helpers of the API tests: the operator token the test settings carry, and cursor-paginated lists."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ADMIN_TOKEN = "test-admin-token"


def all_items(client: TestClient, url: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated list, following `next`."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, params=params, headers=headers or {})
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next"]
        if not cursor:
            return items
