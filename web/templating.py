"""Jinja2 environment, French formatting filters, and `render`: a full page, or one of its blocks
for an HTMX request (the same route serves both, see DESIGN.md § Conventions)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.accounts.models import Role
from service.authz.permissions import Action, can
from service.authz.principal import Principal
from service.casestudies.schemas import SECTION_LABELS, SOURCE_LICENCE_LABELS, STATUS_LABELS
from service.db.session import request_session
from service.discussions.following import unread_count
from service.territories.schemas import KIND_LABELS
from web.auth import current_principal
from web.csrf import csrf_token
from web.event_dates import event_day, event_when, session_when
from web.markdown import render_markdown, render_plain, tidy_snippet
from web.my_territory import my_territory

TEMPLATES_DIR = Path(__file__).parent / "templates"
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
LICENCE_URLS = {
    "etalab-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/deed.fr",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/deed.fr",
    "cc-by-nc-sa-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/deed.fr",
    "mit": "https://opensource.org/license/mit",
}
NARROW_NBSP = "\u202f"


def fr_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def fr_month(value: date | datetime | None) -> str:
    return f"{MONTHS[value.month - 1]} {value.year}" if value else ""


def fr_number(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}".replace(",", NARROW_NBSP).replace(".", ",")
    return text


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count <= 1 else (plural_form or singular + "s")
    return f"{fr_number(count)} {word}"


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def safe_url(url: str | None) -> str | None:
    """Only http(s) links reach an href (stored data may predate the API's validation)."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def query_string(params: Mapping[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` from a dict of str/list values, with some keys replaced (None drops a key)."""
    merged: dict[str, Any] = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        for v in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, str(v)))
    return "?" + urlencode(pairs) if pairs else ""


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fr_date=fr_date,
        fr_month=fr_month,
        fr_number=fr_number,
        markdown=render_markdown,
        tidy_snippet=tidy_snippet,
        plain=render_plain,
        safe_url=safe_url,
        capitalize_first=capitalize_first,
    )
    env.globals.update(
        plural=plural,
        event_when=event_when,
        session_when=session_when,
        event_day=event_day,
        query_string=query_string,
        STATUS_LABELS={k.value: v for k, v in STATUS_LABELS.items()},
        KIND_LABELS={k.value: v for k, v in KIND_LABELS.items()},
        LICENCE_LABELS=SOURCE_LICENCE_LABELS,
        LICENCE_URLS=LICENCE_URLS,
        SECTION_LABELS=SECTION_LABELS,
    )
    return env


env = _environment()


def is_htmx(request: Request) -> bool:
    """An HTMX request for a fragment (not a history restore nor a whole-body swap)."""
    h = request.headers
    return (
        h.get("hx-request") == "true"
        and h.get("hx-history-restore-request") != "true"
        and h.get("hx-request-type", "partial") != "full"
    )


def unread_notifications(request: Request, principal: Principal) -> int:
    if not principal.is_user or principal.user_id is None:
        return 0
    with request_session(request) as (db, _owned):  # never a second connection
        return unread_count(db, principal.user_id)


def page_context(request: Request) -> dict[str, Any]:
    principal = current_principal(request)
    return {
        "request": request,
        "path": request.url.path,
        "principal": principal,
        "can": lambda action, **target: can(principal, Action(action), **target),
        "is_moderator": principal.has_role(Role.moderator, Role.admin),
        "is_admin": principal.has_role(Role.admin),
        "unread": lambda: unread_notifications(request, principal),
        "csrf_token": lambda: csrf_token(request),
        "my_territory": lambda: my_territory(request),
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The whole page, or only `block` of it (the partial an HTMX request asked for)."""
    tmpl = env.get_template(template)
    values = {**page_context(request), **(context or {})}
    html = tmpl.render(values) if block is None else "".join(tmpl.blocks[block](tmpl.new_context(values)))
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers["Vary"] = "HX-Request"
    return response
