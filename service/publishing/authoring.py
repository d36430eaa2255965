"""Case studies as written by a given principal: create on behalf of an organisation, edit, move through
the moderation workflow, delete, review suggested links. The rules themselves live in service/authz/;
this module applies them, then calls the case service, the moderation workflow and, when a case is
published, the notice to discussion followers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.accounts.models import Role
from service.api.errors import ConflictError, InvalidFieldError, NotFoundError
from service.authz.permissions import Action, authorize
from service.authz.principal import Principal
from service.casestudies import links, service
from service.casestudies.links import LinkKind
from service.casestudies.models import CaseStudy, LinkOrigin, PublicationState
from service.casestudies.schemas import CaseStudyCreate, CaseStudyUpdate
from service.discussions.notify import notify_case_published
from service.moderation import revisions
from service.moderation.models import CaseRevision, RevisionStatus
from service.moderation.workflow import change_state, initial_state_allowed, record_creation
from service.settings import Settings


def _check_organisation(principal: Principal, organisation_id: int | None) -> None:
    if organisation_id is None or principal.has_role(Role.moderator, Role.admin):
        return  # moderators curate: they may attribute a case to any organisation
    if organisation_id not in principal.organisation_ids:
        raise InvalidFieldError(
            "vous ne pouvez publier qu'au nom d'une organisation dont vous êtes membre",
            field="organisation_id",
        )


def create_as(db: Session, principal: Principal, data: CaseStudyCreate, settings: Settings) -> CaseStudy:
    authorize(principal, Action.create_case)
    initial_state_allowed(principal, PublicationState(data.publication_state))
    _check_organisation(principal, data.organisation_id)
    case = service.create_case(
        db, data=data, max_section_chars=settings.max_section_chars, author_id=principal.user_id
    )
    record_creation(db, case, principal)
    if case.publication_state is PublicationState.published:
        notify_case_published(db, case, public_url=settings.public_url)
    db.flush()
    return case


@dataclass(frozen=True)
class Edit:
    """An edit's outcome: the case (as readers see it) and the revision that records the edit (None
    when nothing changed); `revision.status` is `pending` when it waits for a moderator."""

    case: CaseStudy
    revision: CaseRevision | None

    @property
    def pending(self) -> bool:
        return self.revision is not None and self.revision.status is RevisionStatus.pending


def update_as(
    db: Session,
    principal: Principal,
    case: CaseStudy,
    data: CaseStudyUpdate,
    settings: Settings,
    *,
    reason: str | None = None,
) -> Edit:
    """Edit a case. The content of a published case edited by its members waits for review (readers
    keep the published text); a change of `publication_state` follows the workflow at once."""
    authorize(principal, Action.edit_case, case=case)
    sent = data.model_dump(exclude_unset=True)
    if "organisation_id" in sent and sent["organisation_id"] != case.organisation_id:
        _check_organisation(principal, sent["organisation_id"])
    target = sent.pop("publication_state", None)
    if target is None and "publication_state" in data.model_fields_set:
        raise InvalidFieldError("ne peut pas être vide", field="publication_state")
    content = CaseStudyUpdate.model_validate(sent) if target is not None else data
    revision = revisions.record_edit(
        db,
        case=case,
        principal=principal,
        data=content,
        max_section_chars=settings.max_section_chars,
        public_url=settings.public_url,
    )
    if target is not None and PublicationState(target) is not case.publication_state:
        change_state(
            db,
            case=case,
            to=PublicationState(target),
            actor=principal,
            reason=reason,
            public_url=settings.public_url,
        )
    return Edit(case=case, revision=revision)


def delete_as(db: Session, principal: Principal, case: CaseStudy) -> None:
    authorize(principal, Action.delete_case, case=case)
    service.delete_case(db, case=case)


def review_link_as(
    db: Session, principal: Principal, case: CaseStudy, kind: LinkKind, target: int, *, keep: bool
) -> None:
    """An author confirms (keep) or removes a link Retex suggested; who may edit the case may do it."""
    authorize(principal, Action.edit_case, case=case)
    origins = links.links_of(db, case.id, kind)
    if target not in origins:
        raise NotFoundError("Ce lien n'existe pas pour cette expérience.")
    if origins[target][0] != LinkOrigin.detected:
        raise ConflictError("Ce lien n'est pas une suggestion : il n'y a rien à confirmer ni à retirer.")
    if keep:
        links.confirm(db, case, kind, target)
    else:
        links.dismiss(db, case, kind, target)
    db.flush()
