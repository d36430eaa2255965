"""The application's OpenID Connect client: built once at start-up from the settings (None when
RETEX_OIDC_ISSUER is unset), kept on `app.state.oidc`, read by the login page and the OIDC routes."""

from __future__ import annotations

from fastapi import FastAPI, Request

from service.accounts.oidc import OidcClient, OidcConfig
from service.settings import Settings


def install_oidc(app: FastAPI, settings: Settings) -> None:
    """A half-configured provider raises here, so the server refuses to start rather than fail later."""
    config = OidcConfig.from_settings(settings)
    app.state.oidc = OidcClient(config) if config else None


def oidc_client(request: Request) -> OidcClient | None:
    client = getattr(request.app.state, "oidc", None)
    return client if isinstance(client, OidcClient) else None
