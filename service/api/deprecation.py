"""How an /api/v1 operation is retired (docs/api-changelog.md, « Politique de dépréciation »): it is
marked `deprecated` in the OpenAPI document and every answer carries

    Deprecation: @1767225600                      (RFC 9745: since when, a structured-field date)
    Sunset: Thu, 01 Jul 2027 00:00:00 GMT         (RFC 8594: when it stops answering)
    Link: <https://…/docs/api-changelog>; rel="deprecation"

Usage, on the route: `@router.get("/old", **deprecation(since=…, sunset=…, link=…))`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from fastapi import Depends, Response

MIN_NOTICE = timedelta(days=180)  # the policy: at least six months between the notice and the sunset


def deprecation_headers(*, since: datetime, sunset: datetime, link: str) -> dict[str, str]:
    if since.tzinfo is None or sunset.tzinfo is None:
        raise ValueError("deprecation dates must be timezone-aware")
    if sunset - since < MIN_NOTICE:
        raise ValueError(f"a sunset needs at least {MIN_NOTICE.days} days of notice")
    return {
        "Deprecation": f"@{int(since.timestamp())}",
        "Sunset": format_datetime(sunset.astimezone(UTC), usegmt=True),
        "Link": f'<{link}>; rel="deprecation"',
    }


def deprecation(*, since: datetime, sunset: datetime, link: str) -> dict[str, Any]:
    """Keyword arguments for a route decorator: `deprecated=True` and a dependency adding the headers."""
    headers = deprecation_headers(since=since, sunset=sunset, link=link)

    def announce(response: Response) -> None:
        response.headers.update(headers)

    dependency: Callable[[Response], None] = announce
    return {"deprecated": True, "dependencies": [Depends(dependency)]}
