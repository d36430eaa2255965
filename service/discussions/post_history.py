"""What edited or deleted posts said before (moderators read it under each post)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.discussions.models import PostRevision


def previous_versions(db: Session, *, post_ids: Collection[int]) -> dict[int, list[PostRevision]]:
    """Post id -> its earlier bodies, oldest first (posts never edited are left out)."""
    found: dict[int, list[PostRevision]] = {}
    if post_ids:
        for rev in db.scalars(
            select(PostRevision).where(PostRevision.post_id.in_(list(post_ids))).order_by(PostRevision.id)
        ):
            found.setdefault(rev.post_id, []).append(rev)
    return found
