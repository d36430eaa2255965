"""/admin: Retex administrators manage accounts (role, active) and partners' API keys."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from service.accounts.api_keys import PARTNER_SCOPES, create_api_key, parse_scopes, revoke_api_key
from service.accounts.credentials import end_all_credentials
from service.accounts.models import ApiKey, Role, User
from service.api.errors import ConflictError, DomainError, NotFoundError
from service.authz.permissions import Action, authorize
from web.auth import current_principal
from web.params import FormBody, PageSession, int_param, text_param
from web.templating import render

router = APIRouter()
PAGE_SIZE = 50


def _page(
    request: Request,
    db: PageSession,
    *,
    errors: dict[str, str] | None = None,
    new_key: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    authorize(current_principal(request), Action.manage_users)
    q = text_param(request.query_params.get("q"), max_chars=100)
    page = int_param(request.query_params.get("page"), default=1, lo=1, hi=10_000)
    stmt = select(User)
    if q:
        pattern = f"%{q.lower().replace('%', '').replace('_', ' ')}%"
        stmt = stmt.where(func.lower(User.email).like(pattern) | func.lower(User.display_name).like(pattern))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = db.scalars(stmt.order_by(User.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    keys = db.scalars(select(ApiKey).where(ApiKey.user_id.is_(None)).order_by(ApiKey.id.desc())).all()
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
        "default_rate": request.app.state.settings.api_key_default_rate_limit,
    }
    return render(request, "admin.html", context, status_code=status_code)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, db: PageSession) -> HTMLResponse:
    return _page(request, db)


@router.post("/admin/comptes/{user_id}", response_class=HTMLResponse)
def update_user(request: Request, db: PageSession, form: FormBody, user_id: int) -> Response:
    principal = current_principal(request)
    authorize(principal, Action.manage_users)
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError("Ce compte n'existe pas.")
    role = str(form.get("role", user.role.value))
    active = form.get("is_active") == "oui"
    if role not in Role.__members__:
        return _page(request, db, errors={f"user-{user_id}": "rôle inconnu"}, status_code=422)
    if user.id == principal.user_id and (role != Role.admin.value or not active):
        raise ConflictError("Vous ne pouvez pas retirer vos propres droits d'administration.")
    if user.is_active and not active:
        end_all_credentials(db, user)  # logged out everywhere, personal keys revoked
    user.role, user.is_active = Role(role), active
    return RedirectResponse("/admin?modifie=1", status_code=303)


@router.post("/admin/cles", response_class=HTMLResponse)
def create_partner_key(request: Request, db: PageSession, form: FormBody) -> Response:
    principal = current_principal(request)
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
            lifetime_days=request.app.state.settings.api_key_days,
        )
    except DomainError as exc:
        db.rollback()
        return _page(request, db, errors={f"key_{exc.field or 'name'}": exc.message}, status_code=422)
    db.commit()  # shown once below: stored first
    return _page(request, db, new_key=secret, status_code=201)


@router.post("/admin/cles/{key_id}/revoquer")
def revoke_partner_key(request: Request, db: PageSession, key_id: int) -> Response:
    authorize(current_principal(request), Action.manage_api_keys)
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFoundError("Cette clé n'existe pas.")
    revoke_api_key(db, key)
    return RedirectResponse("/admin?cle-revoquee=1", status_code=303)
