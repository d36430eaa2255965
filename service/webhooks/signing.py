"""The signature of a delivery, as the Python client checks it (clients/python/retex_client/webhooks.py):
`Retex-Signature: t=<Unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint's secret>`.
The timestamp is signed with the body, so a receiver refuses a replay outside its window (5 minutes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
