"""Discussions in the browser: the list (by theme), a thread page where replies are appended without a
reload and new replies from others appear while reading (HTMX polling), questions on a case, private
messages to a project's team, editing/deleting one's posts, reports and moderation, follows and the
notifications page. Without JavaScript every form posts and redirects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts.models import Role, User
from service.api.errors import DomainError, NotFoundError
from service.authz.cases import readable_case
from service.authz.permissions import Action, authorize, can
from service.authz.principal import Principal
from service.casestudies.models import CaseStudy
from service.discussions import following, posting, reading
from service.discussions.models import EmailFrequency, FollowTarget, Post, PostRevision, Thread
from service.discussions.post_history import previous_versions
from service.discussions.views import author_name
from service.moderation import reports
from service.moderation.models import ReportTarget
from service.settings import Settings
from service.themes.listing import all_themes, find_theme
from service.themes.models import Theme
from web.dependencies import PagePrincipal, PageSearch, PageSettings
from web.params import FormBody, PageSession, form_text, int_param, path_key
from web.routes.account import safe_next
from web.routes.cases import case_page_response
from web.templating import is_htmx, render

router = APIRouter()
POLL_SECONDS = 5
# Read whole (the body limit bounds the request); posting.py refuses what is over the post limit.
MAX_FORM_BODY = 1_100_000


def _limits(s: Settings) -> posting.PostingLimits:
    return posting.PostingLimits(s.posts_per_minute, s.max_post_chars, s.public_url)


# --- the list -----------------------------------------------------------------------------------


@router.get("/discussions", response_class=HTMLResponse)
def discussions(request: Request, principal: PagePrincipal, db: PageSession) -> HTMLResponse:
    return _list_page(request, principal, db)


def _list_page(
    request: Request,
    principal: Principal,
    db: PageSession,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    themes = all_themes(db)
    slug = path_key(request.query_params.get("theme", ""), max_chars=80)
    theme = next((t for t in themes if t.slug == slug), None)
    threads = reading.recent_threads(db, principal, limit=30, theme_id=theme.id if theme else None)
    context = {
        "threads": threads,
        "themes": themes,
        "theme": theme,
        "values": values or {},
        "errors": errors or {},
        "following_theme": theme is not None
        and following.is_following(db, principal, FollowTarget.theme, theme.id),
    }
    return render(request, "discussions.html", context, status_code=status_code)


@router.post("/discussions", response_class=HTMLResponse)
def new_theme_thread(
    request: Request, principal: PagePrincipal, settings: PageSettings, db: PageSession, form: FormBody
) -> Response:
    authorize(principal, Action.discuss)
    values = {
        "title": form_text(form, "title", 400),
        "body": form_text(form, "body", MAX_FORM_BODY),
        "theme": form_text(form, "theme", 80),
    }
    theme = find_theme(db, slug=values["theme"])
    try:
        if theme is None:
            raise DomainError("choisissez un thème", field="theme")
        thread, _ = posting.start_thread(
            db,
            principal=principal,
            title=values["title"],
            body=values["body"],
            limits=_limits(settings),
            theme=theme,
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        return _list_page(
            request,
            principal,
            db,
            values=values,
            errors={exc.field or "body": exc.message},
            status_code=exc.status_code if exc.status_code != 400 else 422,
        )
    return RedirectResponse(f"/discussions/{thread.id}", status_code=303)


# --- questions on a case, private messages to its team ----------------------------------------------


@router.post("/experiences/{slug}/questions", response_class=HTMLResponse)
def ask_on_case(
    request: Request,
    principal: PagePrincipal,
    settings: PageSettings,
    engine: PageSearch,
    db: PageSession,
    form: FormBody,
    slug: str,
) -> Response:
    case = readable_case(db, principal, slug=path_key(slug))
    private = form.get("prive") == "oui"
    title, body = form_text(form, "title", 400), form_text(form, "body", MAX_FORM_BODY)
    try:
        if private:
            thread, _ = posting.contact_team(
                db, principal=principal, case=case, title=title, body=body, limits=_limits(settings)
            )
        else:
            thread, _ = posting.start_thread(
                db, principal=principal, title=title, body=body, limits=_limits(settings), case=case
            )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        return case_page_response(
            request,
            principal,
            engine,
            db,
            case.slug,
            ask_errors={exc.field or "body": exc.message},
            ask_values={"title": title, "body": body},
            status_code=exc.status_code if exc.status_code != 400 else 422,
        )
    return RedirectResponse(f"/discussions/{thread.id}", status_code=303)


# --- a thread ------------------------------------------------------------------------------------------


def _thread(principal: Principal, db: PageSession, thread_id: int) -> Thread:
    return posting.readable_thread(db, principal, thread_id)


def _revisions(db: PageSession, posts: list[Post]) -> dict[int, list[PostRevision]]:
    return previous_versions(db, post_ids=[p.id for p in posts if p.edited_at or p.deleted_at])


def _post_context(principal: Principal, db: PageSession, thread: Thread, posts: list[Post]) -> dict[str, Any]:
    moderator = principal.has_role(Role.moderator, Role.admin)
    return {
        "thread": thread,
        "posts": posts,
        "by_id": {p.id: p for p in posts},
        "revisions": _revisions(db, posts) if moderator else {},
        "author_name": author_name,
        "last_id": max((p.id for p in posts), default=0),
        "poll_seconds": POLL_SECONDS,
    }


def _thread_page(
    request: Request,
    principal: Principal,
    db: PageSession,
    thread: Thread,
    *,
    reply_value: str = "",
    reply_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    posts = reading.posts_after(db, thread, limit=500)
    quote_id = int_param(request.query_params.get("citer"), default=0, lo=0, hi=2**31)
    quoted = next((p for p in posts if p.id == quote_id and not p.deleted_at and not p.is_hidden), None)
    if quoted and not reply_value:
        excerpt = "\n".join("> " + line for line in quoted.body.strip().splitlines()[:8])
        reply_value = f"> **{author_name(quoted.author)}** a écrit :\n{excerpt}\n\n"
    case = None
    if thread.case_study_id is not None:
        try:
            case = readable_case(db, principal, case_id=thread.case_study_id)
        except NotFoundError:  # the case was withdrawn since: the discussion stays readable
            case = None
    theme = db.get(Theme, thread.theme_id) if thread.theme_id else None
    context = {
        **_post_context(principal, db, thread, posts),
        "case": case,
        "theme": theme,
        "reply_value": reply_value,
        "reply_error": reply_error,
        "reply_to_id": quoted.id if quoted else None,
        "following": following.is_following(db, principal, FollowTarget.thread, thread.id),
        "can_reply": can(principal, Action.discuss) and not thread.is_locked and not thread.is_hidden,
        "can_delete": can(principal, Action.delete_thread, thread=thread),
    }
    return render(request, "thread.html", context, status_code=status_code)


@router.get("/discussions/{thread_id}", response_class=HTMLResponse)
def thread_page(request: Request, principal: PagePrincipal, db: PageSession, thread_id: int) -> HTMLResponse:
    return _thread_page(request, principal, db, _thread(principal, db, thread_id))


@router.get("/discussions/{thread_id}/nouveaux", response_class=HTMLResponse)
def new_posts(request: Request, principal: PagePrincipal, db: PageSession, thread_id: int) -> Response:
    """The poller: posts after `apres`, followed by a poller for the next ones (HTMX)."""
    thread = _thread(principal, db, thread_id)
    after = int_param(request.query_params.get("apres"), default=0, lo=0, hi=2**31)
    posts = reading.posts_after(db, thread, after_id=after, limit=100)
    context = {
        **_post_context(principal, db, thread, posts),
        "last_id": max([after, *(p.id for p in posts)]),
        "fresh": True,
    }
    return render(request, "thread.html", context, block="new_posts")


@router.post("/discussions/{thread_id}/reponses", response_class=HTMLResponse)
def post_reply(
    request: Request,
    principal: PagePrincipal,
    settings: PageSettings,
    db: PageSession,
    form: FormBody,
    thread_id: int,
) -> Response:
    thread = _thread(principal, db, thread_id)
    body = form_text(form, "body", MAX_FORM_BODY)
    raw_reply_to = form_text(form, "reply_to_id", 12)
    reply_to_id = int(raw_reply_to) if raw_reply_to.isdigit() else None
    try:
        post = posting.reply(
            db,
            principal=principal,
            thread=thread,
            body=body,
            limits=_limits(settings),
            reply_to_id=reply_to_id,
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        status_code = exc.status_code if exc.status_code != 400 else 422
        if is_htmx(request):
            context = {
                "thread": thread,
                "reply_value": body,
                "reply_error": exc.message,
                "reply_to_id": reply_to_id,
                "can_reply": True,
            }
            return render(
                request,
                "thread.html",
                context,
                block="reply_form",
                status_code=status_code,
                headers=exc.headers,
            )
        response = _thread_page(
            request, principal, db, thread, reply_value=body, reply_error=exc.message, status_code=status_code
        )
        response.headers.update(exc.headers)
        return response
    if is_htmx(request):
        # A fresh form; the page's poller fetches the new post at once (the same path as others' posts).
        context = {
            "thread": thread,
            "reply_value": "",
            "reply_error": None,
            "reply_to_id": None,
            "can_reply": True,
            "sent": True,
        }
        return render(
            request, "thread.html", context, block="reply_form", headers={"HX-Trigger": "retex-poll"}
        )
    return RedirectResponse(f"/discussions/{thread.id}#message-{post.id}", status_code=303)


# --- one post: edit, delete, report, moderate ----------------------------------------------------------


@router.get("/discussions/messages/{post_id}/modifier", response_class=HTMLResponse)
def edit_post_page(request: Request, principal: PagePrincipal, db: PageSession, post_id: int) -> HTMLResponse:
    post = db.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise NotFoundError("Ce message n'existe pas ou a été supprimé.")
    thread = _thread(principal, db, post.thread_id)
    authorize(principal, Action.edit_post, post=post)
    return render(
        request, "post_edit.html", {"post": post, "thread": thread, "value": post.body, "error": None}
    )


@router.post("/discussions/messages/{post_id}/modifier", response_class=HTMLResponse)
def edit_post(
    request: Request,
    principal: PagePrincipal,
    settings: PageSettings,
    db: PageSession,
    form: FormBody,
    post_id: int,
) -> Response:
    body = form_text(form, "body", MAX_FORM_BODY)
    try:
        post = posting.edit_post(
            db, principal=principal, post_id=post_id, body=body, limits=_limits(settings)
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403, 404):
            raise
        original = db.get(Post, post_id)
        assert original is not None
        thread = _thread(principal, db, original.thread_id)
        return render(
            request,
            "post_edit.html",
            {"post": original, "thread": thread, "value": body, "error": exc.message},
            status_code=422,
        )
    return RedirectResponse(f"/discussions/{post.thread_id}#message-{post.id}", status_code=303)


@router.post("/discussions/{thread_id}/supprimer")
def delete_thread(principal: PagePrincipal, db: PageSession, thread_id: int) -> Response:
    thread = posting.delete_thread(db, principal=principal, thread_id=thread_id)
    if thread.case_study_id is not None:
        case = db.get(CaseStudy, thread.case_study_id)
        if case is not None:
            return RedirectResponse(f"/experiences/{case.slug}?discussion=supprimee", status_code=303)
    return RedirectResponse("/discussions?discussion=supprimee", status_code=303)


@router.post("/discussions/messages/{post_id}/supprimer")
def delete_post(principal: PagePrincipal, db: PageSession, post_id: int) -> Response:
    post = posting.delete_post(db, principal=principal, post_id=post_id)
    return RedirectResponse(f"/discussions/{post.thread_id}#message-{post.id}", status_code=303)


@router.post("/discussions/messages/{post_id}/signaler")
def report_post(principal: PagePrincipal, db: PageSession, form: FormBody, post_id: int) -> Response:
    post = db.get(Post, post_id)
    if post is None:
        raise NotFoundError("Ce message n'existe pas.")
    try:
        reports.create_report(
            db,
            principal=principal,
            target_type=ReportTarget.post,
            target_id=post_id,
            reason=form_text(form, "reason", 2000),
        )
        outcome = "envoye"
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403, 404):
            raise
        outcome = "deja" if exc.status_code == 409 else "motif"
    return RedirectResponse(
        f"/discussions/{post.thread_id}?signalement={outcome}#message-{post_id}", status_code=303
    )


@router.post("/discussions/messages/{post_id}/moderation")
def moderate_post(principal: PagePrincipal, db: PageSession, form: FormBody, post_id: int) -> Response:
    post = posting.set_hidden(
        db,
        principal=principal,
        post_id=post_id,
        hidden=form.get("hidden") == "oui",
        reason=form_text(form, "reason", 2000),
    )
    return RedirectResponse(f"/discussions/{post.thread_id}#message-{post.id}", status_code=303)


# --- follows and notifications ------------------------------------------------------------------------


@router.post("/suivre")
def follow(principal: PagePrincipal, db: PageSession, form: FormBody) -> Response:
    try:
        target_type = FollowTarget(form_text(form, "target_type", 20))
    except ValueError:
        raise DomainError("Rien à suivre à cette adresse.", status_code=404) from None
    raw = form_text(form, "target_id", 12)
    if not raw.isdigit():
        raise DomainError("Rien à suivre à cette adresse.", status_code=404)
    if form.get("action") == "arreter":
        following.stop_following(db, principal, target_type, int(raw))
    else:
        following.start_following(db, principal, target_type, int(raw))
    return RedirectResponse(safe_next(form.get("suivant"), default="/notifications"), status_code=303)


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, principal: PagePrincipal, db: PageSession) -> HTMLResponse:
    authorize(principal, Action.manage_own_account)
    assert principal.user_id is not None
    notes = following.latest_notifications(db, principal.user_id)
    user = db.get(User, principal.user_id)
    context = {
        "notes": notes,
        "frequencies": list(EmailFrequency),
        "current_frequency": user.email_frequency if user else "",
    }
    return render(request, "notifications.html", context)


@router.post("/notifications/lues")
def mark_all_read(principal: PagePrincipal, db: PageSession) -> Response:
    authorize(principal, Action.manage_own_account)
    assert principal.user_id is not None
    following.mark_read(db, principal.user_id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/frequence")
def set_frequency(principal: PagePrincipal, db: PageSession, form: FormBody) -> Response:
    authorize(principal, Action.manage_own_account)
    user = db.get(User, principal.user_id)
    value = form_text(form, "email_frequency", 20)
    if user is not None and value in EmailFrequency.__members__:
        user.email_frequency = value
    return RedirectResponse("/notifications?frequence=1", status_code=303)
