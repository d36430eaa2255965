"""Atom feeds of discussions: the messages of a public thread, and the discussions of a theme."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.api.atom import AtomEntry
from service.discussions.models import Post, Thread
from service.discussions.reading import public_threads_statement, visible_posts_statement
from service.discussions.views import author_name

FEED_SIZE = 50


def _excerpt(text: str, limit: int = 500) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def post_entries(db: Session, thread: Thread, base_url: str) -> list[AtomEntry]:
    """The latest visible messages of a thread, newest first (deleted and hidden ones are left out)."""
    posts = db.scalars(
        visible_posts_statement(thread_ids=[thread.id]).order_by(Post.id.desc()).limit(FEED_SIZE)
    ).all()
    return [
        AtomEntry(
            url=f"{base_url}/discussions/{thread.id}#message-{post.id}",
            title=f"{author_name(post.author)} dans « {thread.title} »",
            updated=post.edited_at or post.created_at,
            published=post.created_at,
            author=author_name(post.author),
            summary=_excerpt(post.body),
        )
        for post in posts
    ]


def theme_thread_entries(db: Session, theme_id: int, base_url: str) -> list[AtomEntry]:
    threads = db.scalars(
        public_threads_statement(theme_id=theme_id)
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(FEED_SIZE)
    ).all()
    firsts = {
        p.thread_id: p
        for p in db.scalars(
            visible_posts_statement(thread_ids=[t.id for t in threads]).order_by(Post.id.desc())
        )
    }  # ordered newest first, so the dict keeps each thread's first visible post
    return [
        AtomEntry(
            url=f"{base_url}/discussions/{t.id}",
            title=t.title,
            updated=t.last_post_at,
            published=t.created_at,
            author=author_name(t.author),
            summary=_excerpt(firsts[t.id].body if t.id in firsts else t.title),
        )
        for t in threads
    ]
