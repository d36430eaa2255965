"""Checking the signature of a Retex webhook delivery.

The scheme (the one Retex's webhooks use, as Stripe's do): each delivery carries the header

    Retex-Signature: t=<Unix timestamp>,v1=<hex HMAC-SHA256>

where the HMAC is computed with the endpoint's secret over the bytes `<t>.<raw body>`. Several `v1=` may be
present while a secret is being replaced: one matching is enough. A receiver checks the HMAC on the raw body
(before parsing the JSON), in constant time, and refuses a timestamp outside the replay window."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "Retex-Signature"
WEBHOOK_ID_HEADER = "Retex-Webhook-Id"  # the delivery's id, the same on every try: deduplicate on it
EVENT_HEADER = "Retex-Event"  # the event's type, as `type` in the body
DEFAULT_TOLERANCE = 300  # seconds either side of the receiver's clock


class WebhookSignatureError(ValueError):
    """The delivery is not proven to come from Retex: answer 400 and do not process it."""


def compute_signature(secret: str | bytes, body: bytes | str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`."""
    key = secret.encode() if isinstance(secret, str) else secret
    payload = body.encode() if isinstance(body, str) else body
    return hmac.new(key, str(timestamp).encode() + b"." + payload, hashlib.sha256).hexdigest()


def signature_header(secret: str | bytes, body: bytes | str, timestamp: int | None = None) -> str:
    """The `Retex-Signature` value for a body (to test a receiver)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={compute_signature(secret, body, t)}"


def verify_webhook_signature(
    secret: str | bytes,
    body: bytes | str,
    headers: Mapping[str, str],
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> int:
    """Check a delivery: returns its timestamp, or raises `WebhookSignatureError`.

    `body` is the raw body as received; `headers` any mapping (looked up without regard to case);
    `tolerance` the replay window in seconds: a delivery signed longer ago (or further ahead) is refused,
    so a captured delivery cannot be replayed later. Deliveries may arrive more than once (retries):
    deduplicate on the delivery's id as well."""
    value = _header(headers, SIGNATURE_HEADER)
    if value is None:
        raise WebhookSignatureError(f"en-tête {SIGNATURE_HEADER} absent")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in value.split(","):
        name, sep, item = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(item)
            except ValueError:
                raise WebhookSignatureError("horodatage illisible") from None
        elif name == "v1":
            candidates.append(item.strip())
    if timestamp is None or not candidates:
        raise WebhookSignatureError(f"en-tête {SIGNATURE_HEADER} illisible (t=…,v1=… attendus)")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError("horodatage hors de la fenêtre de rejeu")
    expected = compute_signature(secret, body, timestamp)
    # Every candidate is compared (no early exit), each in constant time.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise WebhookSignatureError("signature invalide")
    return timestamp


def _header(headers: Mapping[str, str], name: str) -> str | None:
    direct = headers.get(name)
    if direct is not None:
        return direct
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return None
