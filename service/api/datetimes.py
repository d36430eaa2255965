"""Timestamps in API responses: always ISO 8601 with their UTC offset. SQLite hands back naive datetimes
(the column is UTC by construction, see service/db/base.py `utcnow`); a bare "2026-11-26T10:11:50" is not
a valid RFC 3339 `date-time`, so the offset is restored before it leaves the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
