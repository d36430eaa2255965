"""The anonymous visitor's « Mon territoire » visits, in a cookie (a member's are on their account):
two Unix times, « previous.last » (service/accounts/visits.py says what they mean)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response

from service.accounts.visits import Visits

COOKIE = "retex_visite"
MAX_AGE = 365 * 24 * 3600
_VALUE = re.compile(r"^(\d{1,12})?\.(\d{1,12})$")


def _time(raw: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(raw), UTC) if raw else None


def read(request: Request) -> Visits:
    found = _VALUE.match(request.cookies.get(COOKIE, ""))
    if found is None:
        return Visits(None, None)
    return Visits(_time(found.group(1)), _time(found.group(2)))


def remember(response: Response, request: Request, visits: Visits) -> None:
    previous = str(int(visits.previous.timestamp())) if visits.previous else ""
    last = str(int(visits.last.timestamp())) if visits.last else ""
    response.set_cookie(
        COOKIE,
        f"{previous}.{last}",
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
