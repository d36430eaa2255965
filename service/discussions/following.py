"""Following a case, a thread, a theme or a territory; the notifications list and unread count."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from service.api.errors import NotFoundError
from service.authz.permissions import Action, authorize
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy, PublicationState
from service.db.base import utcnow
from service.discussions.models import Follow, FollowTarget, Notification, Thread
from service.discussions.posting import follow
from service.territories.models import Territory
from service.themes.models import Theme


def _check_target(db: Session, principal: Principal, target_type: FollowTarget, target_id: int) -> None:
    if target_type is FollowTarget.case_study:
        case = db.get(CaseStudy, target_id)
        found = case is not None and case.publication_state is PublicationState.published
    elif target_type is FollowTarget.thread:
        thread = db.get(Thread, target_id)
        if thread is not None:
            authorize(principal, Action.read_thread, thread=thread)
        found = thread is not None
    elif target_type is FollowTarget.theme:
        found = db.get(Theme, target_id) is not None
    else:
        found = db.get(Territory, target_id) is not None
    if not found:
        raise NotFoundError("Rien à suivre à cette adresse.")


def start_following(db: Session, principal: Principal, target_type: FollowTarget, target_id: int) -> None:
    authorize(principal, Action.manage_own_account)
    assert principal.user_id is not None
    _check_target(db, principal, target_type, target_id)
    follow(db, principal.user_id, target_type, target_id)
    db.flush()


def stop_following(db: Session, principal: Principal, target_type: FollowTarget, target_id: int) -> None:
    authorize(principal, Action.manage_own_account)
    db.execute(
        delete(Follow).where(
            Follow.user_id == principal.user_id,
            Follow.target_type == target_type,
            Follow.target_id == target_id,
        )
    )


def is_following(db: Session, principal: Principal, target_type: FollowTarget, target_id: int) -> bool:
    if not principal.is_user:
        return False
    return (
        db.scalar(
            select(Follow.id).where(
                Follow.user_id == principal.user_id,
                Follow.target_type == target_type,
                Follow.target_id == target_id,
            )
        )
        is not None
    )


def unread_count(db: Session, user_id: int) -> int:
    return (
        db.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def latest_notifications(db: Session, user_id: int, *, limit: int = 50) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(db: Session, user_id: int, notification_ids: list[int] | None = None) -> None:
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(notification_ids))
    db.execute(stmt.values(read_at=utcnow()))
