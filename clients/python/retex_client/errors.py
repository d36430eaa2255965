"""Errors of the client: an answer of the API that is not a success becomes an `ApiError` (one subclass per
status a caller handles differently) carrying the RFC 9457 Problem Details the server sent, in French."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class RetexError(Exception):
    """Base of every error raised by the client."""


class RetexConnectionError(RetexError):
    """The server could not be reached, or did not answer within the timeout (wraps the httpx error)."""


@dataclass(frozen=True)
class FieldError:
    """One offending field of a 422 (`errors` of the Problem Details): a query parameter, a body field."""

    field: str
    message: str


class ApiError(RetexError):
    """An answer with a status of 400 or more. `detail` is the server's French explanation."""

    def __init__(self, response: httpx.Response) -> None:
        problem = _problem(response)
        self.response = response
        self.status: int = response.status_code
        self.problem: dict[str, Any] = problem
        self.type: str = str(problem.get("type") or "about:blank")
        self.title: str = str(problem.get("title") or response.reason_phrase or "Erreur")
        self.detail: str = str(problem.get("detail") or "")
        raw_errors = problem.get("errors")
        self.errors: list[FieldError] = [
            FieldError(field=str(e.get("field", "")), message=str(e.get("message", "")))
            for e in (raw_errors if isinstance(raw_errors, list) else [])
            if isinstance(e, dict)
        ]
        self.request_id: str | None = response.headers.get("X-Request-ID")
        heading = f"{self.status} {self.title}"
        super().__init__(f"{heading} : {self.detail}" if self.detail else heading)


class BadRequestError(ApiError):
    """400."""


class AuthenticationError(ApiError):
    """401: missing, malformed, unknown, revoked or expired key."""


class PermissionDeniedError(ApiError):
    """403: the key is valid but may not do this."""


class NotFoundError(ApiError):
    """404."""


class ConflictError(ApiError):
    """409."""


class ValidationError(ApiError):
    """422: invalid or unknown parameters or fields, listed in `errors`."""


class _RetryAfterMixin(ApiError):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response)
        self.retry_after: float | None = parse_retry_after(response.headers.get("Retry-After"))


class RateLimitedError(_RetryAfterMixin):
    """429: past a quota. `retry_after` (seconds) says when to try again; the client has already retried
    as long as its settings allowed."""


class ServiceUnavailableError(_RetryAfterMixin):
    """503: the server is busy or starting; `retry_after` when it said."""


class ServerError(ApiError):
    """Any other 5xx: a bug on the server side; give `request_id` to the Retex team."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
}


def error_for(response: httpx.Response) -> ApiError:
    """The exception for an answer with status >= 400."""
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = ServerError if response.status_code >= 500 else ApiError
    return cls(response)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from `Retry-After`: delta-seconds or an HTTP date (RFC 9110); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _problem(response: httpx.Response) -> dict[str, Any]:
    """The Problem Details of an answer; for a body that is not JSON (a proxy's page), a stand-in."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    text = response.text.strip()
    return {"status": response.status_code, "title": response.reason_phrase, "detail": text[:500]}
