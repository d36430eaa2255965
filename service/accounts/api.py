"""/api/v1/me, /users, /api-keys and organisation memberships."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from service.accounts import gdpr, memberships
from service.accounts.api_keys import PARTNER_SCOPES, create_api_key, parse_scopes, revoke_api_key
from service.accounts.credentials import end_all_credentials
from service.accounts.models import ApiKey, Membership, Role, User
from service.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    MembershipOut,
    MemberUpdate,
    MeOut,
    MyOrganisation,
    PartnerKeyCreate,
    UserOut,
    UserUpdate,
)
from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import ConflictError, NotFoundError
from service.api.idempotency import IdempotentRoute, never_replayed
from service.api.ids import KeyId, OrganisationId, UserId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.authz.permissions import Action, Forbidden, authorize
from service.authz.principal import ALL_SCOPES, Principal
from service.db.session import DbSession
from service.organisations.models import Organisation

router = APIRouter(tags=["accounts"], route_class=IdempotentRoute)


def _me(db: DbSession, principal: Principal) -> User:
    authorize(principal, Action.manage_own_account)
    user = db.get(User, principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise Forbidden("Le jeton d'opérateur n'est pas un compte : utilisez une clé personnelle.")
    return user


def _created(key: ApiKey, secret: str) -> ApiKeyCreated:
    """The new key as listed, plus its secret: the only answer that ever carries it."""
    return ApiKeyCreated.model_validate({**ApiKeyOut.model_validate(key).model_dump(), "secret": secret})


@router.get("/me", response_model=MeOut, summary="Mon compte")
def read_me(db: DbSession, principal: CurrentPrincipal) -> MeOut:
    user = _me(db, principal)
    return MeOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        email_verified=user.email_verified,
        organisations=[
            MyOrganisation(
                id=m.organisation_id, name=m.organisation.name, status=m.status, is_org_admin=m.is_org_admin
            )
            for m in user.memberships
        ],
    )


@router.get("/me/export", summary="Télécharger toutes mes données (RGPD)")
def export_me(db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    return gdpr.export_user_data(db, _me(db, principal))


def _interactive_only(principal: Principal, *, page: str) -> None:
    """A key never makes keys, whatever its scopes or its owner's role (an administrator's key
    included): a stolen key must not outlive its own revocation through copies. Keys are made on the
    site, by a logged-in person (session cookie + CSRF token); the operator token (a server secret,
    for the first set-up) stays able to make partners' keys."""
    if principal.api_key_id is not None:
        raise Forbidden(f"Une clé d'API ne peut pas créer d'autre clé : créez-la depuis {page}, sur le site.")


@router.get("/me/api-keys", response_model=Page[ApiKeyOut], summary="Mes clés d'API personnelles")
def list_my_keys(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[ApiKeyOut]:
    user = _me(db, principal)
    stmt = select(ApiKey).where(ApiKey.user_id == user.id)
    return keyset_page(db, stmt, ApiKey.id, limit=limit, cursor=cursor, to_item=ApiKeyOut.model_validate)


@router.post(
    "/me/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Créer une clé personnelle (agit en votre nom, dans les droits choisis)",
    description="Une clé d'API ne crée pas de clé (403) : créez-la sur le site, page « Mon compte ».",
)
@never_replayed  # the answer shows the new key's secret once: never stored
def create_my_key(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, data: ApiKeyCreate
) -> ApiKeyCreated:
    _interactive_only(principal, page="votre compte")
    user = _me(db, principal)
    authorize(principal, Action.create_case)  # a verified address, like any other write
    key, secret = create_api_key(
        db,
        name=data.name,
        scopes=parse_scopes(data.scopes, allowed=ALL_SCOPES),
        rate_limit_per_minute=settings.api_key_default_rate_limit,
        user_id=user.id,
        created_by_id=user.id,
        lifetime_days=settings.api_key_days,
    )
    return _created(key, secret)


@router.delete("/me/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Révoquer ma clé")
def revoke_my_key(db: DbSession, principal: CurrentPrincipal, key_id: KeyId) -> Response:
    user = _me(db, principal)
    key = db.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFoundError(f"Aucune clé n° {key_id} à votre nom.")
    revoke_api_key(db, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- administration ------------------------------------------------------------------------------


@router.get("/users", response_model=Page[UserOut], summary="Lister les comptes (administrateurs)")
def list_users(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[UserOut]:
    authorize(principal, Action.manage_users)
    return keyset_page(db, select(User), User.id, limit=limit, cursor=cursor, to_item=UserOut.model_validate)


@router.patch("/users/{user_id}", response_model=UserOut, summary="Changer le rôle ou désactiver un compte")
def update_user(db: DbSession, principal: CurrentPrincipal, user_id: UserId, data: UserUpdate) -> UserOut:
    authorize(principal, Action.manage_users)
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError(f"Aucun compte n° {user_id}.")
    if user.id == principal.user_id and (data.is_active is False or data.role not in (None, Role.admin)):
        raise ConflictError("Vous ne pouvez pas retirer vos propres droits d'administration.")
    if data.role is not None:
        user.role = data.role
    if data.is_active is not None:
        if user.is_active and not data.is_active:
            end_all_credentials(db, user)  # logged out everywhere, personal keys revoked
        user.is_active = data.is_active
    db.flush()
    return UserOut.model_validate(user)


@router.get(
    "/api-keys", response_model=Page[ApiKeyOut], summary="Clés d'API des partenaires (administrateurs)"
)
def list_partner_keys(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[ApiKeyOut]:
    authorize(principal, Action.manage_api_keys)
    stmt = select(ApiKey).where(ApiKey.user_id.is_(None))
    return keyset_page(db, stmt, ApiKey.id, limit=limit, cursor=cursor, to_item=ApiKeyOut.model_validate)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Créer une clé partenaire (lecture, recherche ; quota par minute)",
    description="Avec le jeton d'opérateur (première installation, scripts). Une clé d'API, même celle "
    "d'un administrateur, ne crée pas de clé (403) : créez-la sur le site, page Administration.",
)
@never_replayed  # the answer shows the new key's secret once: never stored
def create_partner_key(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, data: PartnerKeyCreate
) -> ApiKeyCreated:
    authorize(principal, Action.manage_api_keys)
    _interactive_only(principal, page="la page Administration")
    key, secret = create_api_key(
        db,
        name=data.name,
        scopes=parse_scopes(data.scopes, allowed=PARTNER_SCOPES),
        rate_limit_per_minute=data.rate_limit_per_minute or settings.api_key_default_rate_limit,
        user_id=None,
        created_by_id=principal.user_id,
        lifetime_days=settings.api_key_days,
    )
    return _created(key, secret)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Révoquer une clé")
def revoke_key(db: DbSession, principal: CurrentPrincipal, key_id: KeyId) -> Response:
    authorize(principal, Action.manage_api_keys)
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFoundError(f"Aucune clé n° {key_id}.")
    revoke_api_key(db, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- organisation membership -----------------------------------------------------------------------


def _organisation(db: DbSession, organisation_id: OrganisationId) -> Organisation:
    org = db.get(Organisation, organisation_id)
    if org is None:
        raise NotFoundError(f"Aucune organisation n° {organisation_id}.")
    return org


@router.post(
    "/organisations/{organisation_id}/join-requests",
    response_model=MembershipOut,
    status_code=status.HTTP_201_CREATED,
    tags=["organisations"],
    summary="Demander à rejoindre",
)
def request_to_join(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, organisation_id: OrganisationId
) -> MembershipOut:
    org = _organisation(db, organisation_id)
    membership = memberships.request_membership(
        db, principal=principal, organisation=org, public_url=settings.public_url
    )
    return MembershipOut.model_validate(membership)


@router.get(
    "/organisations/{organisation_id}/members",
    response_model=Page[MembershipOut],
    tags=["organisations"],
    summary="Membres et demandes (administrateurs de l'organisation)",
)
def list_members(
    db: DbSession,
    principal: CurrentPrincipal,
    organisation_id: OrganisationId,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[MembershipOut]:
    _organisation(db, organisation_id)
    stmt = memberships.members_statement(db, principal=principal, organisation_id=organisation_id)
    return keyset_page(
        db, stmt, Membership.id, limit=limit, cursor=cursor, to_item=MembershipOut.model_validate
    )


@router.post(
    "/organisations/{organisation_id}/members/{user_id}/approval",
    response_model=MembershipOut,
    tags=["organisations"],
    summary="Accepter une demande d'adhésion",
)
def approve_member(
    db: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    organisation_id: OrganisationId,
    user_id: UserId,
) -> MembershipOut:
    membership = memberships.get_membership(db, organisation_id=organisation_id, user_id=user_id)
    kept = memberships.decide_membership(
        db, principal=principal, membership=membership, approve=True, public_url=settings.public_url
    )
    assert kept is not None
    return MembershipOut.model_validate(kept)


@router.patch(
    "/organisations/{organisation_id}/members/{user_id}",
    response_model=MembershipOut,
    tags=["organisations"],
    summary="Nommer ou retirer un administrateur de l'organisation",
)
def update_member(
    db: DbSession,
    principal: CurrentPrincipal,
    organisation_id: OrganisationId,
    user_id: UserId,
    data: MemberUpdate,
) -> MembershipOut:
    authorize(principal, Action.decide_membership, organisation_id=organisation_id)
    membership: Membership = memberships.get_membership(db, organisation_id=organisation_id, user_id=user_id)
    membership.is_org_admin = data.is_org_admin
    db.flush()
    return MembershipOut.model_validate(membership)


@router.delete(
    "/organisations/{organisation_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["organisations"],
    summary="Refuser une demande ou retirer un membre",
)
def remove_member(
    db: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    organisation_id: OrganisationId,
    user_id: UserId,
) -> Response:
    membership = memberships.get_membership(db, organisation_id=organisation_id, user_id=user_id)
    memberships.decide_membership(
        db, principal=principal, membership=membership, approve=False, public_url=settings.public_url
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
