"""Typed dependencies of the web routes: who is asking, the settings, and the runtime objects the app
builds at start-up (search engine, OIDC client). A route names them as parameters
(`principal: PagePrincipal`, `settings: PageSettings`…) instead of reading `request.app.state` or calling
`current_principal(request)`. Each is `async` and reads what is already there: no thread, no connection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.accounts.oidc import OidcClient
from service.api.no_store import PRINCIPAL_STATE_KEY
from service.authz.principal import Principal
from service.search_engine.engine import SearchEngine
from service.settings import Settings
from web.auth import current_principal, resolve_principal


async def _principal(request: Request) -> Principal:
    # The router dependency `resolve_principal` (web/mount.py) ran before the route's parameters, with a
    # short session of its own closed before the route's session opens: this reads what it cached.
    cached = getattr(request.state, PRINCIPAL_STATE_KEY, None)
    if isinstance(cached, Principal):
        return cached
    await resolve_principal(request)  # a route mounted without the router dependency (tests)
    return current_principal(request)


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _search_engine(request: Request) -> SearchEngine | None:
    engine: SearchEngine | None = getattr(request.app.state, "search", None)
    return engine


async def _oidc(request: Request) -> OidcClient | None:
    client = getattr(request.app.state, "oidc", None)
    return client if isinstance(client, OidcClient) else None


# Who is asking (ANONYMOUS without a login session). Routes that log in or out read `current_principal`
# afterwards: this value is the one the request came with.
PagePrincipal = Annotated[Principal, Depends(_principal)]
PageSettings = Annotated[Settings, Depends(_settings)]
# The search engine of the process; None while it starts or when it failed (pages show without it).
PageSearch = Annotated[SearchEngine | None, Depends(_search_engine)]
# The OpenID Connect client; None when RETEX_OIDC_ISSUER is unset.
PageOidc = Annotated[OidcClient | None, Depends(_oidc)]
