"""Checking an email and password, slowed down against guessing: after a few failures per account,
or many per IP address, further attempts wait (429). The same message answers an unknown email and a
wrong password, and both cost one Argon2 verification, so neither the text nor the timing tells
whether an account exists."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.accounts.models import User
from service.accounts.passwords import hash_password, needs_rehash, verify_password
from service.accounts.registration import find_user_by_email
from service.api.errors import DomainError, TooManyRequests
from service.ratelimit.counters import hit, peek

WINDOW_SECONDS = 15 * 60
BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
_DUMMY_HASH = hash_password("this is not anybody's password")


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_ip: int


class BadCredentials(DomainError):
    def __init__(self) -> None:
        super().__init__(BAD_CREDENTIALS, status_code=401)


def _keys(email: str, ip: str) -> tuple[str, str]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login:account:{account}", f"login:ip:{ip}"


def _too_many(retry_after: int) -> TooManyRequests:
    minutes = max(1, round(retry_after / 60))
    return TooManyRequests(
        f"Trop de tentatives de connexion. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}, "
        "ou choisissez un nouveau mot de passe (« Mot de passe oublié »).",
        retry_after=retry_after,
    )


def authenticate(
    db: Session, engine: Engine, *, email: str, password: str, ip: str, limits: LoginLimits
) -> User:
    account_key, ip_key = _keys(email, ip)
    for key, limit in ((account_key, limits.per_account), (ip_key, limits.per_ip)):
        window = peek(engine, key, window_seconds=WINDOW_SECONDS)
        if window.count >= limit:
            raise _too_many(window.retry_after)
    user = find_user_by_email(db, email) if len(email) <= 320 else None
    password = password[:1024]
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password)  # same cost as a real check
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_active
    if not ok or user is None:
        hit(engine, account_key, window_seconds=WINDOW_SECONDS)
        hit(engine, ip_key, window_seconds=WINDOW_SECONDS)
        raise BadCredentials
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
