"""/admin: Retex administrators manage accounts (role, active) and partners' API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts.api_keys import PARTNER_SCOPES, create_api_key, parse_scopes, revoke_api_key
from service.accounts.credentials import end_all_credentials
from service.accounts.listing import partner_keys, users_page
from service.accounts.models import ApiKey, Role, User
from service.api.errors import ConflictError, DomainError, NotFoundError
from service.authz.permissions import Action, authorize
from service.authz.principal import Principal
from service.settings import Settings
from web.dependencies import PagePrincipal, PageSettings
from web.params import FormBody, PageSession, int_param, text_param
from web.templating import render

router = APIRouter()
PAGE_SIZE = 50


def _page(
    request: Request,
    principal: Principal,
    settings: Settings,
    db: PageSession,
    *,
    errors: dict[str, str] | None = None,
    new_key: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    authorize(principal, Action.manage_users)
    q = text_param(request.query_params.get("q"), max_chars=100)
    page = int_param(request.query_params.get("page"), default=1, lo=1, hi=10_000)
    users, total = users_page(db, q=q or None, page=page, per_page=PAGE_SIZE)
    keys = partner_keys(db)
    context = {
        "users": users,
        "total": total,
        "q": q,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "keys": keys,
        "new_key": new_key,
        "errors": errors or {},
        "roles": list(Role),
        "default_rate": settings.api_key_default_rate_limit,
    }
    return render(request, "admin.html", context, status_code=status_code)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request, principal: PagePrincipal, settings: PageSettings, db: PageSession
) -> HTMLResponse:
    return _page(request, principal, settings, db)


@router.post("/admin/comptes/{user_id}", response_class=HTMLResponse)
def update_user(
    request: Request,
    principal: PagePrincipal,
    settings: PageSettings,
    db: PageSession,
    form: FormBody,
    user_id: int,
) -> Response:
    authorize(principal, Action.manage_users)
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError("Ce compte n'existe pas.")
    role = str(form.get("role", user.role.value))
    active = form.get("is_active") == "oui"
    if role not in Role.__members__:
        return _page(
            request, principal, settings, db, errors={f"user-{user_id}": "rôle inconnu"}, status_code=422
        )
    if user.id == principal.user_id and (role != Role.admin.value or not active):
        raise ConflictError("Vous ne pouvez pas retirer vos propres droits d'administration.")
    if user.is_active and not active:
        end_all_credentials(db, user)  # logged out everywhere, personal keys revoked
    user.role, user.is_active = Role(role), active
    return RedirectResponse("/admin?modifie=1", status_code=303)


@router.post("/admin/cles", response_class=HTMLResponse)
def create_partner_key(
    request: Request, principal: PagePrincipal, settings: PageSettings, db: PageSession, form: FormBody
) -> Response:
    authorize(principal, Action.manage_api_keys)
    rate = int_param(str(form.get("rate_limit_per_minute", "")), default=0, lo=0, hi=1_000_000)
    try:
        _, secret = create_api_key(
            db,
            name=str(form.get("name", "")).replace("\x00", "")[:120],
            scopes=parse_scopes([str(v) for v in form.getlist("scopes")], allowed=PARTNER_SCOPES),
            rate_limit_per_minute=rate,
            user_id=None,
            created_by_id=principal.user_id,
            lifetime_days=settings.api_key_days,
        )
    except DomainError as exc:
        db.rollback()
        errors = {f"key_{exc.field or 'name'}": exc.message}
        return _page(request, principal, settings, db, errors=errors, status_code=422)
    db.commit()  # shown once below: stored first
    return _page(request, principal, settings, db, new_key=secret, status_code=201)


@router.post("/admin/cles/{key_id}/revoquer")
def revoke_partner_key(principal: PagePrincipal, db: PageSession, key_id: int) -> Response:
    authorize(principal, Action.manage_api_keys)
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFoundError("Cette clé n'existe pas.")
    revoke_api_key(db, key)
    return RedirectResponse("/admin?cle-revoquee=1", status_code=303)
