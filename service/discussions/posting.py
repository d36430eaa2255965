"""Writing in discussions: open a thread (on a case, in a theme, or privately to a project's team),
reply (optionally quoting a post), edit or delete one's own post, delete a thread nobody answered
(or any, as a moderator), hide/restore as a moderator.

Everything is checked before anything is written, so a refused request leaves no trace. Posting is
rate-limited per member (counted in the database, shared by every app process)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete as sa_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.errors import ConflictError, InvalidFieldError, NotFoundError, TooManyRequests
from service.api.text import squash_spaces, visible_length
from service.authz.permissions import Action, authorize, decide
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy, PublicationState
from service.db.base import utcnow
from service.discussions.models import Follow, FollowTarget, Post, PostRevision, Thread
from service.discussions.notify import notify_new_post
from service.organisations.models import Organisation
from service.ratelimit.counters import hit_in_transaction
from service.themes.models import Theme


@dataclass(frozen=True)
class PostingLimits:
    per_minute: int
    max_chars: int
    public_url: str


def _clean_body(body: str, limits: PostingLimits) -> str:
    body = body.replace("\x00", "").strip()
    if not visible_length(body):
        raise InvalidFieldError("le message est vide", field="body")
    if len(body) > limits.max_chars:
        raise InvalidFieldError(
            f"le message est trop long ({len(body):,} caractères ; {limits.max_chars:,} au plus)".replace(
                ",", " "
            ),
            field="body",
        )
    return body


def _clean_title(title: str) -> str:
    title = squash_spaces(title)
    if visible_length(title) < 5:  # five visible characters (the API schema says the same)
        raise InvalidFieldError("donnez un titre d'au moins 5 caractères à votre question", field="title")
    if len(title) > 200:
        raise InvalidFieldError("200 caractères au plus", field="title")
    return title


def _throttle(db: Session, principal: Principal, limits: PostingLimits) -> None:
    # Counted in the request's own transaction: a refused post does not count, and on SQLite the
    # counter never waits for the write lock this very request may already hold.
    window = hit_in_transaction(db, f"post:{principal.user_id}", window_seconds=60)
    if window.count > limits.per_minute:
        raise TooManyRequests(
            f"Vous écrivez beaucoup en peu de temps : attendez {window.retry_after} secondes avant le "
            "prochain message.",
            retry_after=window.retry_after,
        )


def follow(db: Session, user_id: int, target_type: FollowTarget, target_id: int) -> None:
    exists = db.scalar(
        select(Follow.id).where(
            Follow.user_id == user_id, Follow.target_type == target_type, Follow.target_id == target_id
        )
    )
    if exists is None:
        db.add(Follow(user_id=user_id, target_type=target_type, target_id=target_id))


def _add_post(db: Session, thread: Thread, principal: Principal, body: str, reply_to: Post | None) -> Post:
    post = Post(
        thread_id=thread.id,
        author_id=principal.user_id,
        body=body,
        reply_to_id=reply_to.id if reply_to else None,
    )
    db.add(post)
    thread.post_count += 1
    thread.last_post_at = utcnow()
    db.flush()
    assert principal.user_id is not None
    follow(db, principal.user_id, FollowTarget.thread, thread.id)  # one hears about the answers
    return post


def start_thread(
    db: Session,
    *,
    principal: Principal,
    title: str,
    body: str,
    limits: PostingLimits,
    case: CaseStudy | None = None,
    theme: Theme | None = None,
    private_to: Organisation | None = None,
    about_case: CaseStudy | None = None,
) -> tuple[Thread, Post]:
    """`case`: a public question on it; `private_to`: a private conversation with that team,
    linked to `about_case` when it is about one."""
    authorize(principal, Action.discuss)
    if sum(x is not None for x in (case, theme, private_to)) != 1:
        raise InvalidFieldError("une discussion porte sur une expérience ou un thème", field="where")
    if case is not None and case.publication_state is not PublicationState.published:
        raise ConflictError("On ne discute que des expériences publiées.")
    title, body = _clean_title(title), _clean_body(body, limits)
    _throttle(db, principal, limits)
    thread = Thread(
        title=title,
        case_study_id=case.id if case else (about_case.id if about_case else None),
        theme_id=theme.id if theme else (case.themes[0].id if case and case.themes else None),
        private_organisation_id=private_to.id if private_to else None,
        author_id=principal.user_id,
    )
    db.add(thread)
    db.flush()
    post = _add_post(db, thread, principal, body, None)
    notify_new_post(
        db, thread=thread, post=post, author=principal, public_url=limits.public_url, new_thread=True
    )
    return thread, post


def contact_team(
    db: Session, *, principal: Principal, case: CaseStudy, title: str, body: str, limits: PostingLimits
) -> tuple[Thread, Post]:
    """« Contacter l'équipe du projet »: a private conversation with the case's organisation."""
    authorize(principal, Action.discuss)
    team = db.get(Organisation, case.organisation_id) if case.organisation_id else None
    if team is None:
        raise ConflictError("Cette expérience n'indique pas d'organisation à contacter.", field="body")
    return start_thread(
        db, principal=principal, title=title, body=body, limits=limits, private_to=team, about_case=case
    )


def readable_thread(db: Session, principal: Principal, thread_id: int) -> Thread:
    """The thread if this principal may read it. Logged-in outsiders get 404, as if a private thread did
    not exist; the anonymous get 401 (the team member following an email link must log in)."""
    thread = db.get(Thread, thread_id)
    if thread is None:
        raise NotFoundError(f"Aucune discussion n° {thread_id}.")
    decision = decide(principal, Action.read_thread, thread=thread)
    if not decision.allowed and principal.is_authenticated:
        raise NotFoundError(f"Aucune discussion n° {thread_id}.")
    authorize(principal, Action.read_thread, thread=thread)
    return thread


def reply(
    db: Session,
    *,
    principal: Principal,
    thread: Thread,
    body: str,
    limits: PostingLimits,
    reply_to_id: int | None = None,
) -> Post:
    authorize(principal, Action.discuss)
    authorize(principal, Action.read_thread, thread=thread)
    if thread.is_locked:
        raise ConflictError("Cette discussion est close : on ne peut plus y répondre.")
    if thread.is_hidden:
        raise ConflictError("Cette discussion est masquée par la modération.")
    reply_to: Post | None = None
    if reply_to_id is not None:
        reply_to = db.get(Post, reply_to_id)
        if reply_to is None or reply_to.thread_id != thread.id:
            raise InvalidFieldError("le message cité n'est pas dans cette discussion", field="reply_to_id")
        if reply_to.deleted_at is not None or reply_to.is_hidden:
            raise ConflictError(
                "Le message auquel vous répondez a été supprimé ou masqué.", field="reply_to_id"
            )
    body = _clean_body(body, limits)
    _throttle(db, principal, limits)
    post = _add_post(db, thread, principal, body, reply_to)
    notify_new_post(
        db, thread=thread, post=post, author=principal, public_url=limits.public_url, new_thread=False
    )
    return post


def _own_live_post(db: Session, principal: Principal, post_id: int) -> Post:
    post = db.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise NotFoundError("Ce message n'existe pas ou a été supprimé.")
    thread = readable_thread(db, principal, post.thread_id)
    authorize(principal, Action.edit_post, post=post)
    if thread.is_locked or thread.is_hidden:
        raise ConflictError("Cette discussion est close : ses messages ne se modifient plus.")
    if post.is_hidden:
        raise ConflictError("Ce message a été masqué par la modération : il ne se modifie plus.")
    return post


def edit_post(db: Session, *, principal: Principal, post_id: int, body: str, limits: PostingLimits) -> Post:
    post = _own_live_post(db, principal, post_id)
    body = _clean_body(body, limits)
    if body == post.body:
        return post
    db.add(PostRevision(post_id=post.id, body=post.body))  # moderators can read what it said before
    post.body = body
    post.edited_at = utcnow()
    db.flush()
    return post


def delete_post(db: Session, *, principal: Principal, post_id: int) -> Post:
    """Soft delete: the post shows « message supprimé »; its text stays in the history for moderators."""
    post = _own_live_post(db, principal, post_id)
    db.add(PostRevision(post_id=post.id, body=post.body))
    post.deleted_at = utcnow()
    db.flush()
    return post


def delete_thread(db: Session, *, principal: Principal, thread_id: int) -> Thread:
    """Remove a thread and its posts (the database cascades them). Deleting the row queues its index job
    through the outbox hook, so it leaves search too; its follows go with it."""
    thread = readable_thread(db, principal, thread_id)
    authorize(principal, Action.delete_thread, thread=thread)
    db.execute(
        sa_delete(Follow).where(Follow.target_type == FollowTarget.thread, Follow.target_id == thread.id)
    )
    db.delete(thread)
    db.flush()
    return thread


def set_hidden(db: Session, *, principal: Principal, post_id: int, hidden: bool, reason: str) -> Post:
    authorize(principal, Action.hide_posts)
    post = db.get(Post, post_id)
    if post is None:
        raise NotFoundError("Ce message n'existe pas.")
    reason = reason.strip() or "Masqué par la modération."
    post.is_hidden = hidden
    post.hidden_reason = reason[:2000] if hidden else None
    db.flush()
    return post
