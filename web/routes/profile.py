"""/compte: my account — profile, email confirmation, organisations (join, and for their admins the
requests to answer), personal API keys, my data (download) and deleting my account."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from service.accounts import gdpr, memberships
from service.accounts.api_keys import create_api_key, parse_scopes, revoke_api_key
from service.accounts.display_names import check_not_staff_lookalike
from service.accounts.models import ApiKey, Membership, MembershipStatus, User
from service.accounts.passwords import verify_password
from service.accounts.validation import clean_display_name
from service.api.errors import DomainError
from service.authz.permissions import Action, authorize
from service.authz.principal import ALL_SCOPES, Principal
from service.organisations.models import Organisation
from service.ratelimit.budgets import spend
from web.auth import current_principal, log_out
from web.params import FormBody, PageSession
from web.templating import render

router = APIRouter()

NOTICES = {
    "bienvenue": "Bienvenue ! Un lien de confirmation vient d'être envoyé à votre adresse.",
    "lien": "Un nouveau lien de confirmation vient d'être envoyé.",
    "mot-de-passe": "Votre mot de passe est changé.",
    "profil": "Votre profil est enregistré.",
    "demande": "Votre demande est envoyée aux administrateurs de l'organisation.",
    "decision": "Votre réponse est enregistrée et la personne prévenue par e-mail.",
    "cle-revoquee": "La clé est révoquée : elle ne fonctionne plus.",
}


def _me(request: Request, db: PageSession) -> tuple[Principal, User]:
    principal = current_principal(request)
    authorize(principal, Action.manage_own_account)
    user = db.get(User, principal.user_id)
    assert user is not None
    return principal, user


def _account_page(
    request: Request,
    db: PageSession,
    *,
    errors: dict[str, str] | None = None,
    new_key: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    principal, user = _me(request, db)
    mine = db.scalars(select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)).all()
    to_decide: list[Membership] = []
    if principal.admin_organisation_ids:
        to_decide = list(
            db.scalars(
                select(Membership)
                .where(
                    Membership.organisation_id.in_(principal.admin_organisation_ids),
                    Membership.status == MembershipStatus.pending,
                )
                .order_by(Membership.id)
            )
        )
    applicants = {
        u.id: u for u in db.scalars(select(User).where(User.id.in_([m.user_id for m in to_decide])))
    }
    keys = db.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id.desc())).all()
    notice = next((text for key, text in NOTICES.items() if key in request.query_params), None)
    context: dict[str, Any] = {
        "user": user,
        "memberships": mine,
        "to_decide": [(m, applicants.get(m.user_id)) for m in to_decide],
        "keys": keys,
        "new_key": new_key,
        "errors": errors or {},
        "notice": notice,
        "organisation_query": request.query_params.get("organisation", "")[:100],
        "organisation_matches": _organisation_matches(db, request.query_params.get("organisation", "")),
    }
    return render(request, "account.html", context, status_code=status_code)


def _organisation_matches(db: PageSession, query: str) -> list[Organisation]:
    query = " ".join(query.replace("\x00", "").split())[:100]
    if len(query) < 2:
        return []
    pattern = f"%{query.replace('%', '').replace('_', ' ')}%"
    return list(
        db.scalars(
            select(Organisation).where(Organisation.name.ilike(pattern)).order_by(Organisation.name).limit(20)
        )
    )


@router.get("/compte", response_class=HTMLResponse)
def account(request: Request, db: PageSession) -> HTMLResponse:
    return _account_page(request, db)


@router.post("/compte/profil", response_class=HTMLResponse)
def update_profile(request: Request, db: PageSession, form: FormBody) -> Response:
    _, user = _me(request, db)
    try:
        name = clean_display_name(str(form.get("display_name", "")).replace("\x00", ""))
        check_not_staff_lookalike(db, name, user_id=user.id)
        user.display_name = name
    except DomainError as exc:
        db.rollback()
        return _account_page(request, db, errors={"display_name": exc.message}, status_code=422)
    return RedirectResponse("/compte?profil=1", status_code=303)


@router.post("/compte/organisations/demande", response_class=HTMLResponse)
def join_organisation(request: Request, db: PageSession, form: FormBody) -> Response:
    principal, _ = _me(request, db)
    raw = str(form.get("organisation_id", ""))
    organisation = db.get(Organisation, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if organisation is None:
        return _account_page(
            request, db, errors={"organisation": "choisissez une organisation dans la liste"}, status_code=422
        )
    try:
        memberships.request_membership(
            db,
            principal=principal,
            organisation=organisation,
            public_url=request.app.state.settings.public_url,
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        return _account_page(request, db, errors={"organisation": exc.message}, status_code=exc.status_code)
    return RedirectResponse("/compte?demande=1", status_code=303)


@router.post("/compte/organisations/{organisation_id}/membres/{user_id}", response_class=HTMLResponse)
def decide_membership(
    request: Request, db: PageSession, form: FormBody, organisation_id: int, user_id: int
) -> Response:
    principal, _ = _me(request, db)
    membership = memberships.get_membership(db, organisation_id=organisation_id, user_id=user_id)
    memberships.decide_membership(
        db,
        principal=principal,
        membership=membership,
        approve=form.get("decision") == "accepter",
        public_url=request.app.state.settings.public_url,
    )
    return RedirectResponse("/compte?decision=1", status_code=303)


@router.post("/compte/cles", response_class=HTMLResponse)
def create_key(request: Request, db: PageSession, form: FormBody) -> Response:
    principal, user = _me(request, db)
    authorize(principal, Action.create_case)  # a confirmed address, as for any write
    try:
        _, secret = create_api_key(
            db,
            name=str(form.get("name", "")).replace("\x00", "")[:120],
            scopes=parse_scopes([str(v) for v in form.getlist("scopes")], allowed=ALL_SCOPES),
            rate_limit_per_minute=request.app.state.settings.api_key_default_rate_limit,
            user_id=user.id,
            created_by_id=user.id,
            lifetime_days=request.app.state.settings.api_key_days,
        )
    except DomainError as exc:
        db.rollback()
        return _account_page(request, db, errors={f"key_{exc.field or 'name'}": exc.message}, status_code=422)
    db.commit()  # the page below shows the key once: it must be stored first
    return _account_page(request, db, new_key=secret, status_code=201)


@router.post("/compte/cles/{key_id}/revoquer")
def revoke_key(request: Request, db: PageSession, key_id: int) -> Response:
    _, user = _me(request, db)
    key = db.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        raise DomainError("Aucune clé à votre nom avec ce numéro.", status_code=404)
    revoke_api_key(db, key)
    return RedirectResponse("/compte?cle-revoquee=1", status_code=303)


@router.get("/compte/mes-donnees.json")
def download_my_data(request: Request, db: PageSession) -> Response:
    _, user = _me(request, db)
    body = json.dumps(gdpr.export_user_data(db, user), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="retex-mes-donnees.json"'},
    )


@router.post("/compte/supprimer", response_class=HTMLResponse)
def delete_account(request: Request, db: PageSession, form: FormBody) -> Response:
    _, user = _me(request, db)
    password = str(form.get("password", ""))[:1024]
    confirmed = form.get("confirm") == "oui"
    spend(  # counted before the check: the form is not a password oracle
        db,
        f"delete-account:user:{user.id}",
        limit=request.app.state.settings.account_deletions_per_hour,
        window_seconds=3600,
        what="de tentatives de suppression du compte",
    )
    ok = confirmed and (verify_password(user.password_hash, password) if user.password_hash else True)
    if not ok:
        message = "cochez la case et saisissez votre mot de passe pour confirmer"
        return _account_page(request, db, errors={"delete": message}, status_code=422)
    log_out(request, db)
    gdpr.delete_account(db, user)
    return RedirectResponse("/?compte-supprime=1", status_code=303)
