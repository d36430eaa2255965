"""Mails to the moderators: something waits for their review. Sent to every active moderator and
administrator whose address is confirmed (both review), never to the person who caused it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Role, User
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy
from service.emails.outbox import queue_email
from service.moderation.models import CaseRevision


def moderators(db: Session) -> list[User]:
    return list(
        db.scalars(
            select(User)
            .where(
                User.role.in_([Role.moderator, Role.admin]),
                User.is_active,
                User.email_verified_at.is_not(None),  # never write to an unconfirmed address
            )
            .order_by(User.id)
        )
    )


def revision_proposed(
    db: Session, *, case: CaseStudy, revision: CaseRevision, author: Principal, public_url: str
) -> None:
    """A member proposed an edit of a published case: readers keep the published text until one of
    the moderators approves it, so they must hear of it (a link to /moderation, where the diff is)."""
    link = f"{public_url.rstrip('/')}/moderation#modification-{revision.id}"
    who = author.display_name or "Un membre"
    for user in moderators(db):
        if user.id == author.user_id:
            continue
        queue_email(
            db,
            to=user.email,
            kind="case_revision_proposed",
            subject=f"Retex : modification à relire de « {case.title[:80]} »",
            body=(
                f"Bonjour {user.display_name},\n\n"
                f"{who} propose une modification de l'expérience publiée « {case.title} ». Les lecteurs "
                "voient le texte publié tant qu'un modérateur ne l'a pas approuvée.\n\n"
                f"Comparez les deux versions et décidez dans l'espace de modération :\n{link}\n"
            ),
        )
