"""/api/v1: threads and posts (read for everyone, write for members), follows and notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import select

from service.accounts.models import User
from service.api.atom import FEED_DOC, AtomResponse, atom_document
from service.api.auth import AppSettings, CurrentPrincipal
from service.api.errors import InvalidFieldError, NotFoundError
from service.api.idempotency import IdempotentRoute
from service.api.ids import CaseId, DbIdPath, PostId, ThreadId
from service.api.pagination import Cursor, Limit, Page, keyset_page
from service.api.since import UpdatedSince, updated_page
from service.api.transport import public_base, public_url_of
from service.authz.cases import readable_case
from service.authz.permissions import Action, authorize
from service.db.session import DbSession
from service.discussions import feeds, following, posting, reading
from service.discussions.indexing import is_searchable
from service.discussions.models import FollowTarget, Notification, Post, Thread
from service.discussions.schemas import (
    CaseThreadIn,
    ContactIn,
    FollowIn,
    NotificationOut,
    NotificationSettings,
    PostIn,
    PostModeration,
    PostOut,
    PostUpdate,
    ThreadIn,
    ThreadOut,
    UnreadCount,
)
from service.discussions.views import post_out, thread_out
from service.settings import Settings
from service.themes.listing import find_theme

router = APIRouter(tags=["discussions"], route_class=IdempotentRoute)


def limits_of(settings: Settings) -> posting.PostingLimits:
    return posting.PostingLimits(settings.posts_per_minute, settings.max_post_chars, settings.public_url)


@router.get("/threads", response_model=Page[ThreadOut], summary="Lister les discussions")
def list_threads(
    db: DbSession,
    principal: CurrentPrincipal,
    case_study_id: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="Celles d'une expérience.")
    ] = None,
    theme: Annotated[str | None, Query(max_length=80, description="Celles d'un thème (slug).")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    updated_since: UpdatedSince = None,
) -> Page[ThreadOut]:
    theme_id = None
    if theme:  # an unknown theme has no discussions: an empty list
        found = find_theme(db, slug=theme)
        theme_id = found.id if found is not None else -1
    stmt = reading.threads_statement(principal, case_study_id=case_study_id, theme_id=theme_id)
    if updated_since is not None:
        return updated_page(
            db, stmt, Thread, since=updated_since, limit=limit, cursor=cursor, to_item=thread_out
        )
    return keyset_page(db, stmt, Thread.id, limit=limit, cursor=cursor, to_item=thread_out, newest_first=True)


@router.post(
    "/threads",
    response_model=ThreadOut,
    status_code=status.HTTP_201_CREATED,
    summary="Ouvrir une discussion dans un thème",
)
def create_thread(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, data: ThreadIn
) -> ThreadOut:
    authorize(principal, Action.discuss)
    theme = find_theme(db, slug=data.theme)
    if theme is None:
        raise InvalidFieldError(f"aucun thème « {data.theme} » (voir /api/v1/themes)", field="theme")
    thread, _ = posting.start_thread(
        db, principal=principal, title=data.title, body=data.body, limits=limits_of(settings), theme=theme
    )
    return thread_out(thread)


@router.post(
    "/case-studies/{case_id}/threads",
    response_model=ThreadOut,
    status_code=status.HTTP_201_CREATED,
    summary="Poser une question sur une expérience (discussion publique)",
)
def create_case_thread(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, case_id: CaseId, data: CaseThreadIn
) -> ThreadOut:
    authorize(principal, Action.discuss)
    case = readable_case(db, principal, case_id=case_id)
    thread, _ = posting.start_thread(
        db, principal=principal, title=data.title, body=data.body, limits=limits_of(settings), case=case
    )
    return thread_out(thread)


@router.post(
    "/case-studies/{case_id}/contact",
    response_model=ThreadOut,
    status_code=status.HTTP_201_CREATED,
    summary="Contacter l'équipe du projet (conversation privée avec son organisation)",
)
def contact_team(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    case_id: CaseId,
    data: ContactIn,
) -> ThreadOut:
    authorize(principal, Action.discuss)
    case = readable_case(db, principal, case_id=case_id)
    thread, _ = posting.contact_team(
        db, principal=principal, case=case, title=data.title, body=data.body, limits=limits_of(settings)
    )
    return thread_out(thread)


@router.get("/threads/{thread_id}", response_model=ThreadOut, summary="Une discussion")
def read_thread(db: DbSession, principal: CurrentPrincipal, thread_id: ThreadId) -> ThreadOut:
    return thread_out(posting.readable_thread(db, principal, thread_id))


@router.get(
    "/threads/{thread_id}/posts", response_model=Page[PostOut], summary="Les messages d'une discussion"
)
def list_posts(
    db: DbSession, principal: CurrentPrincipal, thread_id: ThreadId, limit: Limit = 20, cursor: Cursor = None
) -> Page[PostOut]:
    thread = posting.readable_thread(db, principal, thread_id)
    stmt = select(Post).where(Post.thread_id == thread.id)
    return keyset_page(db, stmt, Post.id, limit=limit, cursor=cursor, to_item=post_out)


@router.post(
    "/threads/{thread_id}/posts",
    response_model=PostOut,
    status_code=status.HTTP_201_CREATED,
    summary="Répondre",
)
def create_post(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    thread_id: ThreadId,
    data: PostIn,
) -> PostOut:
    thread = posting.readable_thread(db, principal, thread_id)
    post = posting.reply(
        db,
        principal=principal,
        thread=thread,
        body=data.body,
        limits=limits_of(settings),
        reply_to_id=data.reply_to_id,
    )
    return post_out(post)


@router.patch("/posts/{post_id}", response_model=PostOut, summary="Modifier son message")
def update_post(
    db: DbSession, settings: AppSettings, principal: CurrentPrincipal, post_id: PostId, data: PostUpdate
) -> PostOut:
    return post_out(
        posting.edit_post(
            db, principal=principal, post_id=post_id, body=data.body, limits=limits_of(settings)
        )
    )


@router.delete("/posts/{post_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Supprimer son message")
def delete_post(db: DbSession, principal: CurrentPrincipal, post_id: PostId) -> Response:
    posting.delete_post(db, principal=principal, post_id=post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/posts/{post_id}/moderation", response_model=PostOut, summary="Masquer ou rétablir (modérateurs)"
)
def moderate_post(
    db: DbSession, principal: CurrentPrincipal, post_id: PostId, data: PostModeration
) -> PostOut:
    post = posting.set_hidden(
        db, principal=principal, post_id=post_id, hidden=data.hidden, reason=data.reason
    )
    return post_out(post)


@router.post("/me/follows", status_code=status.HTTP_204_NO_CONTENT, summary="Suivre")
def start_following(db: DbSession, principal: CurrentPrincipal, data: FollowIn) -> Response:
    following.start_following(db, principal, data.target_type, data.target_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/me/follows/{target_type}/{target_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Ne plus suivre"
)
def stop_following(
    db: DbSession, principal: CurrentPrincipal, target_type: FollowTarget, target_id: DbIdPath
) -> Response:
    following.stop_following(db, principal, target_type, target_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/notifications", response_model=Page[NotificationOut], summary="Mes notifications")
def my_notifications(
    db: DbSession, principal: CurrentPrincipal, limit: Limit = 20, cursor: Cursor = None
) -> Page[NotificationOut]:
    authorize(principal, Action.manage_own_account)
    stmt = select(Notification).where(Notification.user_id == principal.user_id)
    return keyset_page(
        db,
        stmt,
        Notification.id,
        limit=limit,
        cursor=cursor,
        to_item=NotificationOut.model_validate,
        newest_first=True,
    )


@router.get(
    "/me/notifications/unread", response_model=UnreadCount, summary="Nombre de notifications non lues"
)
def unread(db: DbSession, principal: CurrentPrincipal) -> UnreadCount:
    authorize(principal, Action.manage_own_account)
    assert principal.user_id is not None
    return UnreadCount(unread=following.unread_count(db, principal.user_id))


@router.post(
    "/me/notifications/read", status_code=status.HTTP_204_NO_CONTENT, summary="Tout marquer comme lu"
)
def read_all(db: DbSession, principal: CurrentPrincipal) -> Response:
    authorize(principal, Action.manage_own_account)
    assert principal.user_id is not None
    following.mark_read(db, principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/me/notification-settings",
    response_model=NotificationSettings,
    summary="Fréquence des e-mails de notification",
)
def notification_settings(
    db: DbSession, principal: CurrentPrincipal, data: NotificationSettings
) -> NotificationSettings:
    authorize(principal, Action.manage_own_account)
    user = db.get(User, principal.user_id)
    if user is None:
        raise NotFoundError("Aucun compte.")
    user.email_frequency = data.email_frequency.value
    return data


# --- Atom feeds -------------------------------------------------------------------------------------


@router.get(
    "/feeds/threads/{thread_id}.atom",
    response_class=AtomResponse,
    summary="Flux Atom : messages d'une discussion",
    description="Les 50 derniers messages d'une discussion publique. / Latest messages of a public thread.",
    responses=FEED_DOC,
)
def thread_feed(request: Request, db: DbSession, thread_id: ThreadId) -> AtomResponse:
    # A feed is read by feed readers, without a key: only public threads have one.
    thread = db.get(Thread, thread_id)
    if thread is None or not is_searchable(thread):
        raise NotFoundError(f"Aucune discussion publique n° {thread_id}.")
    base = public_base(request)  # RETEX_PUBLIC_URL, never the Host header
    return AtomResponse(
        atom_document(
            title=f"Retex — {thread.title}",
            subtitle="Les derniers messages de cette discussion.",
            self_url=public_url_of(request),
            page_url=f"{base}/discussions/{thread.id}",
            base_url=base,
            entries=feeds.post_entries(db, thread, base),
        )
    )


@router.get(
    "/feeds/themes/{slug}/discussions.atom",
    response_class=AtomResponse,
    summary="Flux Atom : discussions d'un thème",
    description="Les 50 discussions publiques d'un thème les plus récemment actives. / Latest discussions.",
    responses=FEED_DOC,
)
def theme_discussions_feed(request: Request, db: DbSession, slug: str) -> AtomResponse:
    theme = find_theme(db, slug=slug)
    if theme is None:
        raise NotFoundError(f"Aucun thème « {slug} ».")
    base = public_base(request)  # RETEX_PUBLIC_URL, never the Host header
    return AtomResponse(
        atom_document(
            title=f"Retex — discussions : {theme.label}",
            subtitle=f"Les discussions du thème « {theme.label} », les plus actives d'abord.",
            self_url=public_url_of(request),
            page_url=f"{base}/discussions?theme={theme.slug}",
            base_url=base,
            entries=feeds.theme_thread_entries(db, theme.id, base),
        )
    )
