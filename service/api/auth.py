"""Write access until accounts land: a bearer admin token from the settings."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.api.errors import DomainError
from service.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="Jeton d'administration (RETEX_ADMIN_TOKEN).")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


def _token_matches(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> bool:
    expected = settings.admin_token
    return bool(expected and credentials and secrets.compare_digest(credentials.credentials, expected))


def is_admin(
    settings: AppSettings, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> bool:
    return _token_matches(settings, credentials)


def require_admin(
    settings: AppSettings, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    if not settings.admin_token:
        raise DomainError("Écritures désactivées : définissez RETEX_ADMIN_TOKEN.", status_code=403)
    if credentials is None:
        raise DomainError("Jeton d'administration requis (Authorization: Bearer …).", status_code=401)
    if not _token_matches(settings, credentials):
        raise DomainError("Jeton d'administration invalide.", status_code=403)


IsAdmin = Annotated[bool, Depends(is_admin)]
AdminOnly = Depends(require_admin)
