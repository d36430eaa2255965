"""What the search index knows of a thread: public, visible threads only, as plain data for
indexing/thread_index.py; and the search of discussions for the search page and API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexing.sparse import highlight
from indexing.thread_index import ThreadDocument, ThreadIndexer
from service.discussions.models import Post, Thread
from service.discussions.reading import visible_posts_statement
from service.themes.models import Theme

MAX_POSTS = 20  # the first messages say what a thread is about


def is_searchable(thread: Thread) -> bool:
    return thread.private_organisation_id is None and not thread.is_hidden


def thread_document(db: Session, thread: Thread) -> ThreadDocument | None:
    """None when the thread must not be in the index (private, hidden, or nothing left to read)."""
    if not is_searchable(thread):
        return None
    visible = visible_posts_statement(thread_ids=[thread.id]).order_by(Post.id).limit(MAX_POSTS)
    bodies = [post.body for post in db.scalars(visible)]
    if not bodies:
        return None
    theme = db.scalar(select(Theme.slug).where(Theme.id == thread.theme_id)) if thread.theme_id else None
    return ThreadDocument(
        thread_id=thread.id,
        title=thread.title,
        text="\n\n".join(bodies),
        theme=theme,
        case_id=thread.case_study_id,
    )


@dataclass(frozen=True)
class ThreadResult:
    thread: Thread
    score: float
    snippet: str


def search_threads(db: Session, indexer: ThreadIndexer, query: str, *, limit: int = 3) -> list[ThreadResult]:
    """The best public threads for `query`, rechecked against the database (the index may lag).

    Next to the cases they are a side dish: a thread is shown only when it also shares a word with the
    query (its snippet has a highlight), so an unrelated nearest neighbour never fills the space."""
    hits = indexer.search(query, limit=limit * 3)
    threads = {t.id: t for t in db.scalars(select(Thread).where(Thread.id.in_([h.thread_id for h in hits])))}
    results = []
    for hit in hits:
        thread = threads.get(hit.thread_id)
        snippet = highlight(hit.text, query)
        if thread is not None and is_searchable(thread) and "<mark>" in snippet:
            results.append(ThreadResult(thread=thread, score=hit.score, snippet=snippet))
    return results[:limit]
