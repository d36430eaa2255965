"""One try of one delivery: the body (links made absolute), its headers, the signed POST, its outcome.

Short timeouts, no redirects followed (a 3xx is a failure: the partner fixes its URL), the response body
never read beyond a few bytes (a receiver only has to answer 2xx quickly)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from service.webhooks.signing import signature
from service.webhooks.urls import RefusedUrl, check_destination

USER_AGENT = "Retex-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Attempt:
    """What the worker sends, read from the claimed row (no ORM object crosses the network call)."""

    row_id: int
    endpoint_id: int
    delivery_id: str
    event_type: str
    url: str
    secret: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


def body(payload: dict[str, Any], public_url: str) -> bytes:
    """The same bytes on every try: links of `data` prefixed with the site's public address."""
    data = dict(payload.get("data", {}))
    for key in ("url", "api_url"):
        if isinstance(data.get(key), str) and data[key].startswith("/"):
            data[key] = public_url.rstrip("/") + data[key]
    return json.dumps({**payload, "data": data}, ensure_ascii=False, separators=(",", ":")).encode()


def headers(attempt: Attempt, content: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Retex-Signature": signature(attempt.secret, content, timestamp),
        "Retex-Webhook-Id": attempt.delivery_id,
        "Retex-Event": attempt.event_type,
    }


def send(client: httpx.Client, attempt: Attempt, *, public_url: str, allow_private: bool) -> Outcome:
    content = body(attempt.payload, public_url)
    started = time.perf_counter()

    def done(ok: bool, status: int | None, error: str | None) -> Outcome:
        return Outcome(ok, status, error, int((time.perf_counter() - started) * 1000))

    try:
        check_destination(attempt.url, allow_private=allow_private)
        with client.stream(
            "POST", attempt.url, content=content, headers=headers(attempt, content, int(time.time()))
        ) as response:
            status = response.status_code
    except RefusedUrl as exc:
        return done(False, None, str(exc))
    except httpx.TimeoutException:
        return done(False, None, "délai dépassé")
    except (httpx.HTTPError, OSError) as exc:
        return done(False, None, f"{type(exc).__name__}: {exc}"[:1000])
    if 200 <= status < 300:
        return done(True, status, None)
    if 300 <= status < 400:
        return done(False, status, "redirection non suivie : enregistrez l'adresse finale")
    return done(False, status, f"réponse HTTP {status}")
