"""@mentions: `@claire-martin` names the member whose display name « Claire Martin » gives that handle.

A mention only ever notifies; nothing shown to the writer says whether the handle matched anyone, so
mentions cannot be used to find out who has an account."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import User
from service.textkeys import slugify

_MENTION = re.compile(r"(?<![\w@])@([\w][\w.-]{1,60})", re.UNICODE)
MAX_MENTIONS = 10


def mentioned_handles(body: str) -> list[str]:
    handles = [slugify(m.group(1).replace(".", "-")) for m in _MENTION.finditer(body)]
    return list(dict.fromkeys(h for h in handles if h))[:MAX_MENTIONS]


def mentioned_users(db: Session, body: str) -> list[User]:
    """Active members with a confirmed address whose handle is mentioned."""
    handles = set(mentioned_handles(body))
    if not handles:
        return []
    return list(
        db.scalars(
            select(User).where(User.handle.in_(handles), User.is_active, User.email_verified_at.is_not(None))
        )
    )
