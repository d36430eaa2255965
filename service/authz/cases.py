"""Which case studies a principal may read: one case (404 when it may not, as if it did not exist) and
lists of unpublished cases. The rule is permissions.py's `read_case`; this module applies it to a
lookup and to a query. It loads the case through its model, not the casestudies service: the policy
stays below the domains that call it."""

from __future__ import annotations

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from service.accounts.models import Role
from service.api.errors import NotFoundError
from service.authz.permissions import Action, can
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy, PublicationState


def readable_case(
    db: Session, principal: Principal, *, case_id: int | None = None, slug: str | None = None
) -> CaseStudy:
    """The case if this principal may read it; otherwise 404, as if it did not exist."""
    if case_id is not None:
        case = db.get(CaseStudy, case_id)
        if case is None:
            raise NotFoundError(f"Aucune expérience n° {case_id}.")
    else:
        assert slug is not None
        case = db.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
        if case is None:
            raise NotFoundError(f"Aucune expérience « {slug} ».")
    if not can(principal, Action.read_case, case=case):
        raise NotFoundError(f"Aucune expérience {case_id if case_id is not None else f'« {slug} »'}.")
    return case


def restrict_to_readable(
    stmt: Select[CaseStudy], principal: Principal, state: PublicationState
) -> Select[CaseStudy]:
    """Lists of unpublished cases: everything for moderators, one's own and one's organisations' for
    members, nothing for the public."""
    if state is PublicationState.published or principal.has_role(Role.moderator, Role.admin):
        return stmt
    if not principal.is_user:
        return stmt.where(false())
    clauses = [CaseStudy.author_id == principal.user_id]
    if principal.organisation_ids:
        clauses.append(CaseStudy.organisation_id.in_(principal.organisation_ids))
    return stmt.where(or_(*clauses))
