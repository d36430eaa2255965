"""From an identity vouched for by the OpenID Connect provider to a Retex user and their organisation.

User, in this order: the account already linked to (issuer, subject); else the account with the same
e-mail address, linked now, but only when the provider vouches for that address (otherwise anyone able
to type someone's address at a lax provider would take over their account); else a new account without a
password (`password_hash == ""`: it logs in through the provider only).

Anyone may register a password account for an address they do not own. So an existing account is
linked as it is only when its address was verified (its owner read our mail there). An account whose
address was never verified is taken over by the provider's identity, cleanly: its password is removed,
its sessions ended, its personal keys revoked and its memberships withdrawn (the provider's
SIRET gives the right one back) — whoever
created it did not own the address.

Organisation, from the SIRET of the agent's establishment (ProConnect): its first 9 digits are the SIREN of
the employer; the organisation with that SIREN, else the organisation of the territory with that SIREN
(communes, EPCI, syndicats), created for a collectivité that has none yet. The agent becomes an approved
member: the provider vouches for the employer. An unknown SIREN gives no membership and no error.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.accounts.credentials import end_all_credentials
from service.accounts.models import Membership, MembershipStatus, Role, User
from service.accounts.oidc import OidcError, OidcIdentity
from service.db.base import utcnow
from service.organisations.models import Organisation, OrganisationKind
from service.territories.models import Territory
from service.textkeys import slugify


class OidcAccountConflict(OidcError):
    status_code = 409


def user_for_identity(db: Session, identity: OidcIdentity, *, label: str = "ProConnect") -> User:
    """The user this identity logs in as (found, linked or created), a member of its employer if known."""
    user = db.scalar(
        select(User).where(User.oidc_issuer == identity.issuer, User.oidc_subject == identity.subject)
    )
    if user is None:
        user = _link_or_create(db, identity, label)
    if not user.is_active:
        raise OidcError(
            "Ce compte Retex est désactivé. Contactez l'administrateur de Retex.", status_code=403
        )
    if identity.email_verified and user.email_verified_at is None and user.email == identity.email:
        user.email_verified_at = utcnow()
    if identity.siret:
        organisation = organisation_for_siret(db, identity.siret)
        if organisation is not None:
            ensure_approved_membership(db, user, organisation)
    db.flush()
    return user


def _link_or_create(db: Session, identity: OidcIdentity, label: str) -> User:
    existing = db.scalar(select(User).where(User.email == identity.email))
    if existing is None:
        user = User(
            email=identity.email,
            display_name=identity.display_name[:120],
            password_hash="",  # no password: this account logs in through the provider
            role=Role.member,
            oidc_issuer=identity.issuer,
            oidc_subject=identity.subject,
        )
        db.add(user)
        db.flush()
        return user
    if not identity.email_verified:
        raise OidcAccountConflict(
            f"Un compte Retex existe déjà pour {identity.email}, mais {label} ne garantit pas cette "
            "adresse : connectez-vous avec votre mot de passe Retex."
        )
    if existing.oidc_subject is not None:
        raise OidcAccountConflict(
            f"Le compte Retex de {identity.email} est déjà lié à un autre compte {label}. "
            "Connectez-vous avec votre mot de passe Retex, ou contactez l'administrateur."
        )
    if existing.email_verified_at is None:
        _take_over(db, existing, identity)
    existing.oidc_issuer, existing.oidc_subject = identity.issuer, identity.subject
    return existing


def _take_over(db: Session, user: User, identity: OidcIdentity) -> None:
    """The account was created by someone who never proved the address: nothing of theirs survives."""
    user.password_hash = ""
    user.display_name = identity.display_name[:120] or user.display_name
    end_all_credentials(db, user)
    db.execute(delete(Membership).where(Membership.user_id == user.id))


def organisation_for_siret(db: Session, siret: str) -> Organisation | None:
    """The organisation of the establishment's SIREN (first 9 digits of the SIRET), if Retex knows it."""
    siren = siret[:9]
    organisation = db.scalar(
        select(Organisation).where(Organisation.siren == siren).order_by(Organisation.id).limit(1)
    )
    if organisation is not None:
        return organisation
    territory = db.scalar(select(Territory).where(Territory.siren == siren).order_by(Territory.id).limit(1))
    if territory is None:
        return None
    # The collectivité that governs the territory; a company or association located there is not the employer.
    organisation = db.scalar(
        select(Organisation)
        .where(Organisation.territory_id == territory.id, Organisation.kind == OrganisationKind.collectivite)
        .order_by(Organisation.id)
        .limit(1)
    )
    if organisation is None:
        organisation = Organisation(
            slug=_free_slug(db, territory.name, siren),
            name=territory.name,
            kind=OrganisationKind.collectivite,
            territory_id=territory.id,
            siren=siren,
        )
        db.add(organisation)
        db.flush()
    elif organisation.siren is None:
        organisation.siren = siren  # found through its territory: the next agent is matched directly
    return organisation


def _free_slug(db: Session, name: str, siren: str) -> str:
    slug = slugify(name, max_length=140)
    if db.scalar(select(Organisation.id).where(Organisation.slug == slug)) is None:
        return slug
    return f"{slug[:129]}-{siren}"


def ensure_approved_membership(db: Session, user: User, organisation: Organisation) -> Membership:
    membership = db.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == organisation.id)
    )
    if membership is None:
        membership = Membership(
            user_id=user.id,
            organisation_id=organisation.id,
            status=MembershipStatus.approved,
            is_org_admin=False,
        )
        db.add(membership)
    elif membership.status is not MembershipStatus.approved:
        membership.status = MembershipStatus.approved  # a pending request: the provider settles it
    db.flush()
    return membership
