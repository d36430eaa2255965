"""Checking an email and password, slowed down against guessing: after a few failures per account,
or many per IP address, further attempts wait (429). The same message answers an unknown email and a
wrong password, and both cost one Argon2 verification, so neither the text nor the timing tells
whether an account exists."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.accounts.models import User
from service.accounts.passwords import PASSWORD_SLOTS, check_unbounded, hash_password, needs_rehash
from service.accounts.registration import find_user_by_email
from service.api.errors import DomainError, TooManyRequests
from service.ratelimit.counters import clear, count, forgive, settle

WINDOW_SECONDS = 15 * 60
BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
_check = check_unbounded  # the caller holds a password slot
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


def authenticate(db: Session, *, email: str, password: str, ip: str, limits: LoginLimits) -> User:
    """Count the attempt first (committed at once), then check the password: concurrent attempts
    cannot all slip under the limit, and no lock is held during the Argon2 check. The request's own
    session does everything (no second connection)."""
    account_key, ip_key = _keys(email, ip)
    password = password[:1024]
    with PASSWORD_SLOTS.hold():  # refused at once when the server is busy: nothing counted
        for key, limit in ((account_key, limits.per_account), (ip_key, limits.per_ip)):
            window = count(db, key, window_seconds=WINDOW_SECONDS)
            if window.count > limit:
                settle(db)
                raise _too_many(window.retry_after)
        settle(db)
        user = find_user_by_email(db, email) if len(email) <= 320 else None
        if user is None or not user.password_hash:
            _check(_DUMMY_HASH, password)  # same cost as a real check
            ok = False
        else:
            ok = _check(user.password_hash, password) and user.is_active
    if not ok or user is None:
        raise BadCredentials
    clear(db, account_key)  # a success forgives the account's earlier typos
    forgive(db, ip_key, window_seconds=WINDOW_SECONDS)  # and is not a failure of the address
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
