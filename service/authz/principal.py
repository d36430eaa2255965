"""Who is making a request: the anonymous public, a logged-in user, a partner's API key, or the
operator token. Built once per request; the permissions module reads nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Membership, MembershipStatus, Role, User


class Kind(StrEnum):
    anonymous = "anonymous"
    user = "user"  # a browser session, or a member's personal API key
    partner = "partner"  # an API key created by an admin for a partner: read and search only
    operator = "operator"  # RETEX_ADMIN_TOKEN: scripts and first set-up, acts as an admin


class Scope(StrEnum):
    read = "read"
    search = "search"
    write = "write"


ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True)
class Principal:
    kind: Kind
    user_id: int | None = None
    role: Role | None = None
    display_name: str = ""
    email_verified: bool = False
    organisation_ids: frozenset[int] = field(default_factory=frozenset)  # approved memberships
    admin_organisation_ids: frozenset[int] = field(default_factory=frozenset)
    scopes: frozenset[Scope] = ALL_SCOPES
    api_key_id: int | None = None
    rate_limit_per_minute: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not Kind.anonymous

    @property
    def is_user(self) -> bool:
        return self.kind is Kind.user and self.user_id is not None

    def has_role(self, *roles: Role) -> bool:
        if self.kind is Kind.operator:
            return True
        return self.is_user and self.role in roles


ANONYMOUS = Principal(kind=Kind.anonymous, scopes=frozenset({Scope.read, Scope.search}))
OPERATOR = Principal(kind=Kind.operator, role=Role.admin, display_name="opérateur", email_verified=True)


def user_principal(
    db: Session,
    user: User,
    *,
    scopes: frozenset[Scope] = ALL_SCOPES,
    api_key_id: int | None = None,
    rate_limit_per_minute: int | None = None,
) -> Principal:
    rows = db.execute(
        select(Membership.organisation_id, Membership.is_org_admin).where(
            Membership.user_id == user.id, Membership.status == MembershipStatus.approved
        )
    ).all()
    return Principal(
        kind=Kind.user,
        user_id=user.id,
        role=user.role,
        display_name=user.display_name,
        email_verified=user.email_verified,
        organisation_ids=frozenset(org for org, _ in rows),
        admin_organisation_ids=frozenset(org for org, is_admin in rows if is_admin),
        scopes=scopes,
        api_key_id=api_key_id,
        rate_limit_per_minute=rate_limit_per_minute,
    )


def partner_principal(*, api_key_id: int, scopes: frozenset[Scope], rate_limit_per_minute: int) -> Principal:
    return Principal(
        kind=Kind.partner,
        display_name="partenaire",
        scopes=scopes & {Scope.read, Scope.search},
        api_key_id=api_key_id,
        rate_limit_per_minute=rate_limit_per_minute,
    )
