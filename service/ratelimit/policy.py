"""What a budget tells the caller: the IETF `RateLimit-Policy` and `RateLimit` header fields
(draft-ietf-httpapi-ratelimit-headers, structured-field syntax):

    RateLimit-Policy: "key";q=600;w=60
    RateLimit: "key";r=598;t=41

Every budget that counted a request records its window here (`record`), on the request's state; the
API's middleware (service/api/ratelimit_headers.py) writes the two fields on the answer, whatever its
status. One place formats them, so a partner reads the same quotas the budgets enforce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.ratelimit.counters import Window

STATE_KEY = "retex_ratelimit"  # in the ASGI scope's "state" (Starlette's request.state)


@dataclass(frozen=True)
class Quota:
    """One policy as seen by one request: `limit` units per `window_seconds`, `remaining` left,
    the window ends in `reset` seconds."""

    name: str
    limit: int
    window_seconds: int
    remaining: int
    reset: int


def quota(name: str, *, limit: int, window_seconds: int, window: Window) -> Quota:
    return Quota(
        name=name,
        limit=limit,
        window_seconds=window_seconds,
        remaining=max(0, limit - window.count),
        reset=window.retry_after,
    )


def record(state: dict[str, Any], item: Quota) -> None:
    """Remember `item` for the answer's headers (a policy counted twice keeps its latest window)."""
    quotas: dict[str, Quota] = state.setdefault(STATE_KEY, {})
    quotas[item.name] = item


def _name(name: str) -> str:
    # An sf-string: printable ASCII, with `"` and `\` escaped.
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def header_fields(quotas: list[Quota]) -> dict[str, str]:
    """The two header fields for these policies ({} when no budget counted the request)."""
    if not quotas:
        return {}
    return {
        "RateLimit-Policy": ", ".join(f"{_name(q.name)};q={q.limit};w={q.window_seconds}" for q in quotas),
        "RateLimit": ", ".join(f"{_name(q.name)};r={q.remaining};t={q.reset}" for q in quotas),
    }
