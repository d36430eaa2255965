"""Random secrets handed to users (session cookies, email links, API keys) and how we store them.

They carry 256 random bits, so a plain SHA-256 is enough to store them: unlike passwords, they
cannot be guessed from a dictionary."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
