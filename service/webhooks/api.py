"""/api/v1/webhooks: a key registers its endpoints, reads their delivery log, turns them off and on.

An endpoint belongs to the key that registered it: another key (or none) gets a 404, never a 403 that
would say it exists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import ConflictError, InvalidFieldError, NotFoundError
from service.api.idempotency import IdempotentRoute
from service.api.ids import DeliveryId, WebhookId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.api.text import squash_spaces
from service.authz.permissions import Action, authorize
from service.authz.principal import Principal
from service.db.base import utcnow
from service.db.session import DbSession
from service.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from service.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    delivery_out,
)
from service.webhooks.signing import new_secret
from service.webhooks.urls import RefusedUrl, check_url

router = APIRouter(tags=["webhooks"], route_class=IdempotentRoute)
MAX_ENDPOINTS_PER_KEY = 20


def _key_id(principal: Principal) -> int:
    authorize(principal, Action.manage_webhooks)
    assert principal.api_key_id is not None  # what manage_webhooks checked
    return principal.api_key_id


def _own(db: Session, principal: Principal, webhook_id: int) -> WebhookEndpoint:
    endpoint = db.get(WebhookEndpoint, webhook_id)
    if endpoint is None or endpoint.api_key_id != _key_id(principal):
        raise NotFoundError(f"Aucun webhook n° {webhook_id} pour cette clé.")
    return endpoint


@router.post(
    "/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Enregistrer un webhook (le secret de signature n'est affiché qu'ici)",
    description="Retex enverra un POST signé à `url` pour chaque événement choisi. Adresse https publique "
    "(les adresses privées ou locales sont refusées), pas de redirection suivie. Au plus "
    f"{MAX_ENDPOINTS_PER_KEY} webhooks par clé (409 au-delà).",
)
def create_webhook(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, data: WebhookCreate
) -> WebhookCreated:
    key_id = _key_id(principal)
    try:
        url = check_url(data.url, allow_private=settings.webhook_allow_private)
    except RefusedUrl as exc:
        raise InvalidFieldError(f"url : {exc}", field="url") from None
    count = db.scalar(select(func.count(WebhookEndpoint.id)).where(WebhookEndpoint.api_key_id == key_id))
    if (count or 0) >= MAX_ENDPOINTS_PER_KEY:
        raise ConflictError(f"Cette clé a déjà {MAX_ENDPOINTS_PER_KEY} webhooks : supprimez-en un d'abord.")
    endpoint = WebhookEndpoint(
        api_key_id=key_id,
        url=url,
        description=squash_spaces(data.description),
        event_types=sorted({e.value for e in data.event_types}),
        secret=new_secret(),
        active=True,
        consecutive_failures=0,
    )
    db.add(endpoint)
    db.flush()
    return WebhookCreated.model_validate(endpoint)


@router.get("/webhooks", response_model=Page[WebhookOut], summary="Les webhooks de cette clé")
def list_webhooks(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[WebhookOut]:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.api_key_id == _key_id(principal))
    return keyset_page(
        db, stmt, WebhookEndpoint.id, limit=limit, cursor=cursor, to_item=WebhookOut.model_validate
    )


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, summary="Un webhook de cette clé")
def get_webhook(db: DbSession, principal: CurrentPrincipal, webhook_id: WebhookId) -> WebhookOut:
    return WebhookOut.model_validate(_own(db, principal, webhook_id))


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Supprimer un webhook (et son journal d'envois)",
)
def delete_webhook(db: DbSession, principal: CurrentPrincipal, webhook_id: WebhookId) -> Response:
    db.delete(_own(db, principal, webhook_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhooks/{webhook_id}/disable",
    response_model=WebhookOut,
    summary="Suspendre un webhook (les événements s'accumulent, non envoyés)",
)
def disable_webhook(db: DbSession, principal: CurrentPrincipal, webhook_id: WebhookId) -> WebhookOut:
    endpoint = _own(db, principal, webhook_id)
    if endpoint.active:
        endpoint.active = False
        endpoint.disabled_at = utcnow()
        endpoint.disabled_reason = "suspendu par son propriétaire"
    db.flush()
    return WebhookOut.model_validate(endpoint)


@router.post(
    "/webhooks/{webhook_id}/enable",
    response_model=WebhookOut,
    summary="Réactiver un webhook (les envois en attente repartent aussitôt)",
)
def enable_webhook(db: DbSession, principal: CurrentPrincipal, webhook_id: WebhookId) -> WebhookOut:
    endpoint = _own(db, principal, webhook_id)
    if not endpoint.active:
        endpoint.active = True
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.consecutive_failures = 0
        db.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.state == DeliveryState.pending,
            )
            .values(available_at=utcnow())
        )
    db.flush()
    return WebhookOut.model_validate(endpoint)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    summary="Journal des envois d'un webhook, du plus récent au plus ancien",
)
def list_webhook_deliveries(
    db: DbSession,
    principal: CurrentPrincipal,
    webhook_id: WebhookId,
    state: Annotated[DeliveryState | None, Query(description="Seulement les envois dans cet état.")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[DeliveryOut]:
    endpoint = _own(db, principal, webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if state is not None:
        stmt = stmt.where(WebhookDelivery.state == state)
    return keyset_page(
        db, stmt, WebhookDelivery.id, limit=limit, cursor=cursor, to_item=delivery_out, newest_first=True
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Renvoyer un envoi abandonné ou déjà reçu (même Retex-Webhook-Id, essais remis à zéro)",
)
def redeliver_webhook_delivery(
    db: DbSession, principal: CurrentPrincipal, webhook_id: WebhookId, delivery_id: DeliveryId
) -> DeliveryOut:
    endpoint = _own(db, principal, webhook_id)
    delivery = db.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFoundError(f"Aucun envoi n° {delivery_id} dans le journal de ce webhook.")
    if delivery.state is DeliveryState.pending:
        raise ConflictError("Cet envoi est déjà en attente : il partira à son prochain essai.")
    delivery.state = DeliveryState.pending
    delivery.attempts = 0
    delivery.available_at = utcnow()
    db.flush()
    return delivery_out(delivery)
