"""An endpoint that keeps failing is disabled, and its owner told by e-mail (in the same transaction)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from service.accounts.models import ApiKey, User
from service.db.base import utcnow
from service.emails.outbox import queue_email
from service.webhooks.models import WebhookEndpoint

log = logging.getLogger(__name__)


def owner_address(db: Session, endpoint: WebhookEndpoint) -> str | None:
    """A personal key's member; a partner key's creator (the administrator who made it)."""
    key = db.get(ApiKey, endpoint.api_key_id)
    if key is None:
        return None
    user_id = key.user_id if key.user_id is not None else key.created_by_id
    user = db.get(User, user_id) if user_id is not None else None
    return user.email if user is not None and user.is_active else None


def disable_endpoint(db: Session, endpoint: WebhookEndpoint, *, reason: str, public_url: str) -> None:
    endpoint.active = False
    endpoint.disabled_at = utcnow()
    endpoint.disabled_reason = reason[:300]
    to = owner_address(db, endpoint)
    if to is None:
        log.warning("webhook %d disabled (%s): no owner address to tell", endpoint.id, reason)
        return
    api = public_url.rstrip("/") + "/api/v1"
    queue_email(
        db,
        to=to,
        subject="Retex : votre webhook a été désactivé",
        body=(
            "Bonjour,\n\n"
            f"Le webhook n° {endpoint.id} ({endpoint.url}) a été désactivé : {reason}.\n\n"
            "Les événements suivants restent en attente dans son journal et ne sont plus envoyés. "
            "Une fois votre serveur réparé, réactivez-le (POST "
            f"{api}/webhooks/{endpoint.id}/enable avec votre clé d'API) : les envois en attente "
            f"repartent aussitôt. Le journal des envois : GET {api}/webhooks/{endpoint.id}/deliveries.\n\n"
            "L'équipe Retex\n"
        ),
        kind="webhook_disabled",
    )
