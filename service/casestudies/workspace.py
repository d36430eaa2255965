"""An author's workspace: the cases a member wrote or may edit (their organisations'), grouped by where
they stand in the workflow, each with the next thing to do. Who may do what stays in
service/authz/permissions.py; which moves exist stays in service/moderation/workflow.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.authz.principal import Principal
from service.casestudies.models import CaseStudy, PublicationState
from service.moderation.models import CaseRevision, RevisionStatus

S = PublicationState
MAX_CASES = 500  # a workspace, not an export: an organisation with more pages uses the search


@dataclass(frozen=True)
class Move:
    """A move of the workflow offered as a button: the target state and its French wording."""

    to: PublicationState
    label: str


# The moves an author makes from each state (the workflow checks them again when they are posted).
AUTHOR_MOVES: dict[PublicationState, tuple[Move, ...]] = {
    S.draft: (Move(S.submitted, "Soumettre pour relecture"),),
    S.rejected: (Move(S.submitted, "Soumettre à nouveau"), Move(S.draft, "Repasser en brouillon")),
    S.submitted: (Move(S.draft, "Retirer de la relecture"),),
    S.published: (Move(S.archived, "Archiver"),),
    S.archived: (),
}
# Moderators restore an archived case (the workflow reserves that move to them).
MODERATOR_MOVES: dict[PublicationState, tuple[Move, ...]] = {
    S.archived: (Move(S.published, "Remettre en ligne"),),
}
NEXT_STEP: dict[PublicationState, str] = {
    S.draft: "Complétez-la si besoin, puis soumettez-la : un modérateur la relira avant publication.",
    S.submitted: "Un modérateur va la relire. Vous pouvez la retirer pour la retravailler.",
    S.published: "Elle est en ligne. Modifiez-la si elle a évolué ; archivez-la si elle n'est plus "
    "d'actualité.",
    S.rejected: "Lisez le motif du refus dans son historique, corrigez-la, puis soumettez-la à nouveau.",
    S.archived: "Elle n'est plus publique. Un modérateur peut la remettre en ligne à votre demande.",
}
# What a page says after a move (the redirect's ?etat=…).
MOVE_DONE: dict[str, str] = {
    "submitted": "Expérience soumise : un modérateur va la relire avant publication.",
    "draft": "Expérience revenue en brouillon : seuls vous, votre organisation et les modérateurs la voient.",
    "archived": "Expérience archivée : elle n'est plus publique.",
    "published": "Expérience remise en ligne.",
}
PENDING_STEP = "Votre modification attend la relecture ; les lecteurs voient encore la version publiée."
# The workspace's sections, in the order an author acts on them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("draft", "Brouillons"),
    ("rejected", "Refusées, à reprendre"),
    ("submitted", "Soumises, en attente de relecture"),
    ("pending", "Publiées, avec une modification en attente"),
    ("published", "Publiées"),
    ("archived", "Archivées"),
)


@dataclass(frozen=True)
class Entry:
    case: CaseStudy
    section: str
    next_step: str
    own: bool  # written by this person (otherwise: by a colleague of their organisation)


def _section(case: CaseStudy, pending: set[int]) -> str:
    if case.publication_state is S.published and case.id in pending:
        return "pending"
    return case.publication_state.value


def my_cases(db: Session, principal: Principal) -> dict[str, list[Entry]]:
    """Every section of the workspace, most recently changed first (empty sections included)."""
    grouped: dict[str, list[Entry]] = {key: [] for key, _ in SECTIONS}
    if not principal.is_user:
        return grouped
    clauses = [CaseStudy.author_id == principal.user_id]
    if principal.organisation_ids:
        clauses.append(CaseStudy.organisation_id.in_(principal.organisation_ids))
    cases = db.scalars(
        select(CaseStudy).where(or_(*clauses)).order_by(CaseStudy.updated_at.desc()).limit(MAX_CASES)
    ).all()
    pending = set(
        db.scalars(
            select(CaseRevision.case_study_id).where(
                CaseRevision.status == RevisionStatus.pending,
                CaseRevision.case_study_id.in_([c.id for c in cases]),
            )
        )
    )
    for case in cases:
        section = _section(case, pending)
        step = PENDING_STEP if section == "pending" else NEXT_STEP[case.publication_state]
        grouped[section].append(Entry(case, section, step, own=case.author_id == principal.user_id))
    return grouped


def moves_for(case: CaseStudy, *, moderator: bool) -> tuple[Move, ...]:
    """The buttons a page shows for this case (the route still authorizes each one)."""
    moves = AUTHOR_MOVES.get(case.publication_state, ())
    if moderator:
        moves += MODERATOR_MOVES.get(case.publication_state, ())
    return moves


# The notice on an unpublished case's page, for the one who reads it: its authors are told what to do
# next; a moderator why they see it.
_AUTHOR_NOTICE: dict[PublicationState, str] = {
    S.draft: "Ce brouillon n'est visible que de vous, des membres de votre organisation et des modérateurs. "
    "Soumettez-le quand il est prêt : un modérateur le relira avant sa publication.",
    S.submitted: "Elle attend la relecture d'un modérateur ; elle n'est pas encore publique. "
    "Vous pouvez la retirer pour la retravailler.",
    S.rejected: "Un modérateur l'a refusée (motif dans l'historique ci-dessous). "
    "Corrigez-la, puis soumettez-la à nouveau.",
    S.archived: "Vous l'avez retirée : elle n'est plus publique. Un modérateur peut la remettre en ligne.",
}
_MODERATOR_NOTICE = "Elle n'est pas publique : vous la voyez parce que vous êtes modérateur."


def state_notice(case: CaseStudy, *, editor: bool) -> str:
    if case.publication_state is S.published:
        return ""
    if editor:
        return _AUTHOR_NOTICE[case.publication_state]
    return _MODERATOR_NOTICE
