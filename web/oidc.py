"""The application's OpenID Connect client: built once at start-up from the settings (None when
RETEX_OIDC_ISSUER is unset), kept on `app.state.oidc`; the login page and the OIDC routes receive it
through `PageOidc` (web/dependencies.py)."""

from __future__ import annotations

from fastapi import FastAPI

from service.accounts.oidc import OidcClient, OidcConfig
from service.settings import Settings


def install_oidc(app: FastAPI, settings: Settings) -> None:
    """A half-configured provider raises here, so the server refuses to start rather than fail later."""
    config = OidcConfig.from_settings(settings)
    app.state.oidc = OidcClient(config) if config else None
