"""« Mon territoire »: the territory a page reads for, on every page.

An anonymous visitor picks one (remembered in a cookie, cleared in one click); a member's comes from
their organisation's territory until they pick another. Looked up once per request, lazily: a page
that never shows it costs no query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from fastapi.responses import Response

from service.db.session import request_session
from service.organisations.models import Organisation
from service.territories import service as territory_service
from service.territories.models import Territory
from web.auth import current_principal

COOKIE = "retex_territoire"
MAX_AGE = 365 * 24 * 3600
_CODE = re.compile(r"^[0-9A-Za-z]{2,15}$")  # INSEE, SIREN, département codes (2A, 971…)
_STATE_KEY = "retex_my_territory"


@dataclass(frozen=True)
class MyTerritory:
    territory: Territory
    source: Literal["choisi", "organisation"]


def _lookup(request: Request) -> MyTerritory | None:
    raw = request.cookies.get(COOKIE, "")
    with request_session(request) as (db, _owned):  # the request's session: never a second connection
        if _CODE.match(raw):
            found = territory_service.find_by_code(db, code=raw)
            if found is not None:
                return MyTerritory(found, "choisi")
        principal = current_principal(request)
        for organisation_id in sorted(principal.organisation_ids):
            organisation = db.get(Organisation, organisation_id)
            if organisation is not None and organisation.territory is not None:
                return MyTerritory(organisation.territory, "organisation")
    return None


def my_territory(request: Request) -> MyTerritory | None:
    """The reader's territory, or None (cached on the request)."""
    if not hasattr(request.state, _STATE_KEY):
        setattr(request.state, _STATE_KEY, _lookup(request))
    found: MyTerritory | None = getattr(request.state, _STATE_KEY)
    return found


def remember(response: Response, request: Request, code: str) -> None:
    response.set_cookie(
        COOKIE,
        code,
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
