"""What the search index knows of a thread: public, visible threads only, as plain data for
indexing/document_index.py (the search of discussions is in service/search/thread_results.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from indexing.document_index import WholeDocument
from service.discussions.models import Post, Thread
from service.discussions.reading import visible_posts_statement
from service.themes.models import Theme

MAX_POSTS = 20  # the first messages say what a thread is about


def is_searchable(thread: Thread) -> bool:
    return thread.private_organisation_id is None and not thread.is_hidden


def searchable_threads() -> Select[int]:
    """Ids of the threads thread_document() gives a document for (the same rule, in SQL)."""
    return (
        select(Thread.id)
        .where(Thread.private_organisation_id.is_(None), Thread.is_hidden.is_(False))
        .where(exists(visible_posts_statement().where(Post.thread_id == Thread.id)))
        .order_by(Thread.id)
    )


def thread_document(db: Session, thread: Thread) -> WholeDocument | None:
    """None when the thread must not be in the index (private, hidden, or nothing left to read)."""
    if not is_searchable(thread):
        return None
    visible = visible_posts_statement(thread_ids=[thread.id]).order_by(Post.id).limit(MAX_POSTS)
    bodies = [post.body for post in db.scalars(visible)]
    if not bodies:
        return None
    theme = db.scalar(select(Theme.slug).where(Theme.id == thread.theme_id)) if thread.theme_id else None
    return WholeDocument(
        entity_id=thread.id,
        title=thread.title,
        text="\n\n".join(bodies),  # first message, then replies, in order
        fields={"theme": theme or "", "case_id": thread.case_study_id or 0},
    )


def thread_documents(db: Session, thread_ids: Sequence[int]) -> list[WholeDocument]:
    """The documents of those threads that must be in the index."""
    threads = db.scalars(select(Thread).where(Thread.id.in_(thread_ids))).all()
    return [d for t in threads if (d := thread_document(db, t)) is not None]
