"""Listing threads and posts for a reader (public threads only, unless the reader may see more)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, exists, false, or_, select
from sqlalchemy.orm import Session

from service.accounts.models import Role
from service.authz.principal import Principal
from service.discussions.models import Post, Thread


def threads_statement(
    principal: Principal, *, case_study_id: int | None = None, theme_id: int | None = None
) -> Select[Thread]:
    stmt = select(Thread)
    if not principal.has_role(Role.moderator, Role.admin):
        stmt = stmt.where(Thread.is_hidden.is_(False))
        private = Thread.private_organisation_id.is_not(None)
        if principal.is_user:
            mine = or_(
                Thread.author_id == principal.user_id,
                Thread.private_organisation_id.in_(principal.organisation_ids)
                if principal.organisation_ids
                else false(),
            )
            stmt = stmt.where(or_(~private, mine))
        else:
            stmt = stmt.where(~private)
    if case_study_id is not None:
        stmt = stmt.where(Thread.case_study_id == case_study_id)
    if theme_id is not None:
        stmt = stmt.where(Thread.theme_id == theme_id)
    return stmt


def public_threads_statement(
    *, case_study_id: int | None = None, theme_id: int | None = None
) -> Select[Thread]:
    stmt = select(Thread).where(Thread.is_hidden.is_(False), Thread.private_organisation_id.is_(None))
    if case_study_id is not None:
        stmt = stmt.where(Thread.case_study_id == case_study_id)
    if theme_id is not None:
        stmt = stmt.where(Thread.theme_id == theme_id)
    return stmt


def visible_posts_statement(*, thread_ids: list[int] | None = None) -> Select[Post]:
    """The posts a reader of a public thread may read: not deleted, not hidden by the moderators (nor
    auto-hidden after reports). Every feed, export and index text starts from here."""
    stmt = select(Post).where(Post.deleted_at.is_(None), Post.is_hidden.is_(False))
    if thread_ids is not None:
        stmt = stmt.where(Post.thread_id.in_(thread_ids))
    return stmt


def recent_threads(
    db: Session, principal: Principal, *, limit: int = 20, **filters: int | None
) -> list[Thread]:
    stmt = threads_statement(principal, **filters).order_by(Thread.last_post_at.desc(), Thread.id.desc())
    return list(db.scalars(stmt.limit(limit)))


def posts_after(db: Session, thread: Thread, *, after_id: int = 0, limit: int = 200) -> list[Post]:
    return list(
        db.scalars(
            select(Post).where(Post.thread_id == thread.id, Post.id > after_id).order_by(Post.id).limit(limit)
        )
    )


def public_threads_on_cases_since(
    db: Session, *, case_ids: Collection[int], since: datetime, limit: int
) -> list[Thread]:
    """Public threads about these cases with a message since `since`, the most recent first (threads
    emptied of readable messages left out)."""
    if not case_ids:
        return []
    stmt = (
        public_threads_statement()
        .where(Thread.case_study_id.in_(list(case_ids)), Thread.last_post_at > since)
        .where(exists(visible_posts_statement().where(Post.thread_id == Thread.id)))
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
    )
    return list(db.scalars(stmt.limit(limit)))
