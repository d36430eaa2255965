"""Belonging to an organisation: a user asks to join, an admin of that organisation (or of Retex)
approves or refuses. Approved members publish on its behalf and edit its cases."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.accounts.models import Membership, MembershipStatus, User
from service.api.errors import ConflictError, NotFoundError
from service.authz.permissions import Action, authorize
from service.authz.principal import Principal
from service.emails.outbox import queue_email
from service.organisations.models import Organisation


def request_membership(
    db: Session, *, principal: Principal, organisation: Organisation, public_url: str
) -> Membership:
    authorize(principal, Action.request_membership)
    assert principal.user_id is not None
    existing = db.scalar(
        select(Membership).where(
            Membership.user_id == principal.user_id, Membership.organisation_id == organisation.id
        )
    )
    if existing is not None:
        if existing.status is MembershipStatus.approved:
            raise ConflictError(f"Vous êtes déjà membre de {organisation.name}.")
        raise ConflictError(f"Votre demande pour {organisation.name} attend déjà une réponse.")
    membership = Membership(
        user_id=principal.user_id,
        organisation_id=organisation.id,
        status=MembershipStatus.pending,
        is_org_admin=False,
    )
    db.add(membership)
    db.flush()
    admins = db.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.is_org_admin,
            Membership.status == MembershipStatus.approved,
            User.is_active,
        )
    ).all()
    for admin in admins:
        queue_email(
            db,
            to=admin.email,
            kind="membership_request",
            subject=f"Retex : {principal.display_name} demande à rejoindre {organisation.name}",
            body=(
                f"Bonjour {admin.display_name},\n\n{principal.display_name} demande à rejoindre "
                f"{organisation.name} sur Retex. Répondez ici :\n\n"
                f"{public_url.rstrip('/')}/compte/organisations\n"
            ),
        )
    return membership


def get_membership(db: Session, *, organisation_id: int, user_id: int) -> Membership:
    membership = db.scalar(
        select(Membership).where(Membership.organisation_id == organisation_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFoundError("Aucune demande ni adhésion de cette personne à cette organisation.")
    return membership


def decide_membership(
    db: Session, *, principal: Principal, membership: Membership, approve: bool, public_url: str
) -> Membership | None:
    """Approve (the request becomes a membership) or refuse/remove (the row goes). Returns the row kept."""
    authorize(principal, Action.decide_membership, organisation_id=membership.organisation_id)
    user = db.get(User, membership.user_id)
    organisation = membership.organisation
    if approve:
        if membership.status is MembershipStatus.approved:
            raise ConflictError("Cette personne est déjà membre.")
        membership.status = MembershipStatus.approved
        membership.decided_by_id = principal.user_id
        verdict = "acceptée"
    else:
        db.delete(membership)
        verdict = "refusée" if membership.status is MembershipStatus.pending else "terminée"
    if user is not None:
        queue_email(
            db,
            to=user.email,
            kind="membership_decision",
            subject=f"Retex : votre adhésion à {organisation.name} est {verdict}",
            body=(
                f"Bonjour {user.display_name},\n\nVotre adhésion à {organisation.name} sur Retex est "
                f"{verdict}.\n\n{public_url.rstrip('/')}/compte\n"
            ),
        )
    db.flush()
    return membership if approve else None


def members_statement(db: Session, *, principal: Principal, organisation_id: int) -> Select[Membership]:
    """Members and pending requests of an organisation (for its admins), to page through by id."""
    authorize(principal, Action.decide_membership, organisation_id=organisation_id)
    return select(Membership).where(Membership.organisation_id == organisation_id)
