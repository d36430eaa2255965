"""Threads and posts as shown to readers: deleted and hidden posts keep their place but not their
text, and a deleted account is « membre supprimé »."""

from __future__ import annotations

from service.discussions.models import Post, Thread
from service.discussions.schemas import DELETED_AUTHOR, PostOut, ThreadOut


def author_name(user: object | None) -> str:
    name = getattr(user, "display_name", None)
    return name if isinstance(name, str) and name else DELETED_AUTHOR


def post_out(post: Post) -> PostOut:
    gone = post.deleted_at is not None or post.is_hidden
    return PostOut(
        id=post.id,
        thread_id=post.thread_id,
        author=author_name(post.author),
        body="" if gone else post.body,
        reply_to_id=post.reply_to_id,
        created_at=post.created_at,
        edited=post.edited_at is not None,
        deleted=post.deleted_at is not None,
        hidden=post.is_hidden,
        hidden_reason=post.hidden_reason if post.is_hidden else None,
    )


def thread_out(thread: Thread) -> ThreadOut:
    return ThreadOut(
        id=thread.id,
        title=thread.title,
        case_study_id=thread.case_study_id,
        theme_id=thread.theme_id,
        private=thread.private_organisation_id is not None,
        locked=thread.is_locked,
        author=author_name(thread.author),
        post_count=thread.post_count,
        created_at=thread.created_at,
        last_post_at=thread.last_post_at,
        updated_at=thread.updated_at,
    )
