"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106).

Each hash or check costs about a third of a second of one core and 64 MiB: at most
`PASSWORD_SLOTS.size` run at once in a process (RETEX_PASSWORD_HASH_CONCURRENCY, default the number of
cores); past it a caller is refused with 429 + Retry-After (service/ratelimit/slots.py)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.ratelimit.slots import WorkSlots, default_size

_hasher = PasswordHasher()
PASSWORD_SLOTS = WorkSlots(
    default_size(),
    wait_seconds=0.05,
    busy_message="Le site reçoit beaucoup de demandes de connexion en ce moment : "
    "réessayez dans quelques secondes.",
)


def hash_password(password: str) -> str:
    with PASSWORD_SLOTS.hold():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with PASSWORD_SLOTS.hold():
        return check_unbounded(password_hash, password)


def check_unbounded(password_hash: str, password: str) -> bool:
    """`verify_password` for a caller that already holds a slot of PASSWORD_SLOTS."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
