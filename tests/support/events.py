"""Events the tests create for themselves (always in the future, whatever the seeded dates)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def future_start(days: int = 30, hour: int = 9) -> datetime:
    """A local Paris time `days` from now, at `hour`:30 (so DST and the offset are exercised)."""
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(PARIS).date()
    return datetime(day.year, day.month, day.day, hour, 30, tzinfo=PARIS)


def event_payload(organisation_id: int, *, days: int = 30, **overrides: Any) -> dict[str, Any]:
    start = future_start(days)
    payload: dict[str, Any] = {
        "title": f"Rencontre régionale test {uuid.uuid4().hex[:6]}",
        "kind": "regional_meeting",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
        "timezone": "Europe/Paris",
        "territory_code": "75056",
        "address": "Hôtel de Ville, Paris",
        "organisation_id": organisation_id,
        "description": "Une journée de **tables rondes**.<script>alert(1)</script>",
        "sessions": [
            {
                "title": "Data : intelligence ou menace ?",
                "kind": "round_table",
                "themes": ["open-data"],
                "speakers": [{"name": "Camille Martin", "organisation": "Ville de Paris"}],
            }
        ],
    }
    payload.update(overrides)
    return payload
