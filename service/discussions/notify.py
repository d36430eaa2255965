"""Who hears about what. A new post notifies the thread's followers (and, for a new thread, those
of its case or theme, and the team that wrote the case), the members it @mentions who may read it,
and for a private message the project team; a newly published case notifies the followers of its
themes and territories.

Each notification is a row (the app's unread count and list); an email goes at once to members who
chose « immédiatement », the others get it in their daily or weekly digest (service/discussions/
digests.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Membership, MembershipStatus, User
from service.authz.permissions import Action, can
from service.authz.principal import Principal, user_principal
from service.casestudies.models import CaseStudy, case_territories, case_themes
from service.db.base import utcnow
from service.discussions.mentions import mentioned_users
from service.discussions.models import EmailFrequency, Follow, FollowTarget, Notification, Post, Thread
from service.emails.outbox import queue_email


def _followers(db: Session, target_type: FollowTarget, target_ids: list[int]) -> set[int]:
    if not target_ids:
        return set()
    return set(
        db.scalars(
            select(Follow.user_id).where(Follow.target_type == target_type, Follow.target_id.in_(target_ids))
        )
    )


def _team(db: Session, organisation_id: int) -> set[int]:
    return set(
        db.scalars(
            select(Membership.user_id).where(
                Membership.organisation_id == organisation_id, Membership.status == MembershipStatus.approved
            )
        )
    )


def _deliver(db: Session, user: User, note: Notification, public_url: str) -> None:
    db.add(note)
    if user.email_frequency == EmailFrequency.immediately.value:
        queue_email(
            db,
            to=user.email,
            kind=f"notification_{note.kind}",
            subject=f"Retex : {note.text[:120]}",
            body=f"Bonjour {user.display_name},\n\n{note.text}\n\n{public_url.rstrip('/')}{note.url}\n\n"
            "Vous recevez ce message car vous suivez ce sujet ; "
            "réglez vos notifications dans « Mon compte ».\n",
        )
        note.emailed_at = utcnow()


def notify_new_post(
    db: Session, *, thread: Thread, post: Post, author: Principal, public_url: str, new_thread: bool
) -> int:
    """Returns how many people were notified."""
    writer = author.display_name or "Un membre"
    url = f"/discussions/{thread.id}#message-{post.id}"
    kinds: dict[int, tuple[str, str]] = {}
    if thread.private_organisation_id is not None:
        for user_id in _team(db, thread.private_organisation_id) | {thread.author_id or 0}:
            kinds[user_id] = ("private_message", f"{writer} vous écrit : « {thread.title} »")
    else:
        audience = _followers(db, FollowTarget.thread, [thread.id])
        if thread.case_study_id is not None:
            audience |= _followers(db, FollowTarget.case_study, [thread.case_study_id])
            case = db.get(CaseStudy, thread.case_study_id)
            if new_thread and case is not None:  # a question on a case reaches the team that wrote it
                audience |= _team(db, case.organisation_id) if case.organisation_id else set()
                audience |= {case.author_id} if case.author_id else set()
        if new_thread and thread.theme_id is not None:
            audience |= _followers(db, FollowTarget.theme, [thread.theme_id])
        label = "Nouvelle discussion" if new_thread else f"{writer} a répondu"
        for user_id in audience:
            kinds[user_id] = ("new_thread" if new_thread else "reply", f"{label} : « {thread.title} »")
    for user in mentioned_users(db, post.body):  # only those who may read the thread
        if can(user_principal(db, user), Action.read_thread, thread=thread):
            kinds[user.id] = ("mention", f"{writer} vous a mentionné dans « {thread.title} »")
    kinds.pop(author.user_id or 0, None)
    kinds.pop(0, None)
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(kinds), User.is_active))}
    for user_id, (kind, text) in kinds.items():
        if user_id in users:
            note = Notification(user_id=user_id, kind=kind, text=text[:500], url=url, post_id=post.id)
            _deliver(db, users[user_id], note, public_url)
    db.flush()
    return len(users)


def notify_case_published(db: Session, case: CaseStudy, *, public_url: str) -> int:
    theme_ids = list(db.scalars(select(case_themes.c.theme_id).where(case_themes.c.case_study_id == case.id)))
    territory_ids = list(
        db.scalars(select(case_territories.c.territory_id).where(case_territories.c.case_study_id == case.id))
    )
    audience = _followers(db, FollowTarget.theme, theme_ids) | _followers(
        db, FollowTarget.territory, territory_ids
    )
    already = set(
        db.scalars(
            select(Notification.user_id).where(
                Notification.case_study_id == case.id, Notification.kind == "new_case"
            )
        )
    )
    users = db.scalars(select(User).where(User.id.in_(audience - already), User.is_active)).all()
    for user in users:
        note = Notification(
            user_id=user.id,
            kind="new_case",
            text=f"Nouvelle expérience publiée : « {case.title} »"[:500],
            url=f"/experiences/{case.slug}",
            case_study_id=case.id,
        )
        _deliver(db, user, note, public_url)
    db.flush()
    return len(users)
