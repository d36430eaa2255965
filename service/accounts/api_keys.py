"""API keys: created by admins for partners (read, search) or by members for themselves (their own
rights, limited to the key's scopes). The secret is shown once; only its SHA-256 is kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.accounts.models import ApiKey
from service.accounts.secrets import new_secret, secret_hash
from service.api.errors import InvalidFieldError
from service.authz.principal import Scope
from service.db.base import utcnow

KEY_PREFIX = "rtx_"
PARTNER_SCOPES = frozenset({Scope.read, Scope.search})


def parse_scopes(values: Iterable[str], *, allowed: frozenset[Scope]) -> frozenset[Scope]:
    scopes: set[Scope] = set()
    for value in values:
        try:
            scope = Scope(value)
        except ValueError:
            raise InvalidFieldError(f"droit inconnu : « {value} »", field="scopes") from None
        if scope not in allowed:
            raise InvalidFieldError(f"droit non accordé à ce type de clé : « {value} »", field="scopes")
        scopes.add(scope)
    if not scopes:
        raise InvalidFieldError("choisissez au moins un droit", field="scopes")
    return frozenset(scopes)


def create_api_key(
    db: Session,
    *,
    name: str,
    scopes: frozenset[Scope],
    rate_limit_per_minute: int,
    user_id: int | None,
    created_by_id: int | None,
    lifetime_days: int = 365,
) -> tuple[ApiKey, str]:
    """Returns the key and its secret, which is never shown again. It works `lifetime_days` days."""
    name = name.strip()
    if not name:
        raise InvalidFieldError("donnez un nom à la clé (à quoi sert-elle ?)", field="name")
    if not 1 <= rate_limit_per_minute <= 100_000:
        raise InvalidFieldError("entre 1 et 100 000 requêtes par minute", field="rate_limit_per_minute")
    secret = new_secret(KEY_PREFIX)
    key = ApiKey(
        name=name[:120],
        prefix=secret[:12],
        key_hash=secret_hash(secret),
        scopes=sorted(s.value for s in scopes),
        rate_limit_per_minute=rate_limit_per_minute,
        user_id=user_id,
        created_by_id=created_by_id,
        expires_at=utcnow() + timedelta(days=lifetime_days),
    )
    db.add(key)
    db.flush()
    return key, secret


def find_active_key(db: Session, secret: str) -> ApiKey | None:
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    return db.scalar(
        select(ApiKey).where(
            ApiKey.key_hash == secret_hash(secret),
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > utcnow()),
        )
    )


def revoke_api_key(db: Session, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.flush()


def why_refused(db: Session, secret: str) -> str:
    """Why `secret` is not an active key, in French then English (the caller holds the secret, so
    saying « revoked » or « expired » tells nothing to a stranger)."""
    key = (
        db.scalar(select(ApiKey).where(ApiKey.key_hash == secret_hash(secret)))
        if secret.startswith(KEY_PREFIX) and len(secret) <= 200
        else None
    )
    if key is None:
        return (
            "Clé d'API inconnue : vérifiez qu'elle est recopiée en entier (elle commence par « rtx_ »). "
            "/ Unknown API key: check it is copied whole (it starts with “rtx_”)."
        )
    if key.revoked_at is not None:
        return "Clé d'API révoquée : demandez-en une nouvelle. / Revoked API key: ask for a new one."
    return "Clé d'API expirée : demandez-en une nouvelle. / Expired API key: ask for a new one."
