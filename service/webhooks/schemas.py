"""What the webhook routes read and answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.api.datetimes import UtcDateTime, as_utc
from service.webhooks.models import DeliveryState, WebhookDelivery, WebhookEvent

URL_PATTERN = r"^https?://[^\s\u0000]+$"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[
        str,
        Field(
            max_length=2000,
            pattern=URL_PATTERN,
            description="Adresse qui recevra les événements (POST JSON) : https, publique, sans redirection.",
            examples=["https://partenaire.example.org/retex/webhooks"],
        ),
    ]
    event_types: Annotated[
        list[WebhookEvent],
        Field(min_length=1, max_length=len(WebhookEvent), description="Les événements à recevoir."),
    ]
    description: Annotated[str, Field(max_length=200, description="Note libre (à quoi il sert).")] = ""


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    event_types: list[WebhookEvent]
    active: bool = Field(description="Faux : désactivé (à la main, ou après trop d'échecs d'envoi).")
    disabled_at: UtcDateTime | None
    disabled_reason: str | None
    consecutive_failures: int = Field(description="Échecs d'envoi depuis le dernier succès.")
    created_at: UtcDateTime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="Secret partagé qui signe chaque envoi (`Retex-Signature`). Affiché cette fois seulement."
    )


class DeliveryOut(BaseModel):
    """One delivery in the log: the same `delivery_id` on every try (Retex-Webhook-Id)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    delivery_id: str = Field(description="Envoyé dans `Retex-Webhook-Id` : dédoublonnez sur lui.")
    event_type: WebhookEvent
    state: DeliveryState = Field(
        description="pending : à envoyer (ou à réessayer à `next_attempt_at`) ; delivered : réponse 2xx ; "
        "dead : abandonné après trop d'essais (voir `redeliver`)."
    )
    attempts: int
    next_attempt_at: UtcDateTime | None = Field(
        default=None, description="Prochain essai (pending seulement)."
    )
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    created_at: UtcDateTime
    last_attempt_at: UtcDateTime | None
    delivered_at: UtcDateTime | None
    payload: dict[str, object] = Field(description="Le corps envoyé (liens relatifs au site).")


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    out = DeliveryOut.model_validate(row)
    if row.state is DeliveryState.pending:
        out.next_attempt_at = as_utc(row.available_at)
    return out
