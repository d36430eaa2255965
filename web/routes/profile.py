"""/compte: my account — profile, email confirmation, organisations (join, and for their admins the
requests to answer), personal API keys, my data (download) and deleting my account."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts import gdpr, memberships
from service.accounts.api_keys import create_api_key, parse_scopes, revoke_api_key
from service.accounts.display_names import check_not_staff_lookalike
from service.accounts.listing import memberships_of, personal_keys, requests_to_decide, users_by_id
from service.accounts.models import ApiKey, User
from service.accounts.passwords import verify_password
from service.accounts.validation import clean_display_name
from service.api.errors import DomainError
from service.authz.permissions import Action, authorize
from service.authz.principal import ALL_SCOPES, Principal
from service.organisations.directory import named_like
from service.organisations.models import Organisation
from service.ratelimit.budgets import spend
from web.auth import log_out
from web.dependencies import PagePrincipal, PageSettings
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


def _me(principal: Principal, db: PageSession) -> User:
    authorize(principal, Action.manage_own_account)
    user = db.get(User, principal.user_id)
    assert user is not None
    return user


def _account_page(
    request: Request,
    principal: Principal,
    db: PageSession,
    *,
    errors: dict[str, str] | None = None,
    new_key: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    user = _me(principal, db)
    mine = memberships_of(db, user_id=user.id)
    to_decide = requests_to_decide(db, organisation_ids=principal.admin_organisation_ids)
    applicants = users_by_id(db, ids=[m.user_id for m in to_decide])
    keys = personal_keys(db, user_id=user.id)
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
    return named_like(db, fragment=query, limit=20)


@router.get("/compte", response_class=HTMLResponse)
def account(request: Request, principal: PagePrincipal, db: PageSession) -> HTMLResponse:
    return _account_page(request, principal, db)


@router.post("/compte/profil", response_class=HTMLResponse)
def update_profile(request: Request, principal: PagePrincipal, db: PageSession, form: FormBody) -> Response:
    user = _me(principal, db)
    try:
        name = clean_display_name(str(form.get("display_name", "")).replace("\x00", ""))
        check_not_staff_lookalike(db, name, user_id=user.id)
        user.display_name = name
    except DomainError as exc:
        db.rollback()
        return _account_page(request, principal, db, errors={"display_name": exc.message}, status_code=422)
    return RedirectResponse("/compte?profil=1", status_code=303)


@router.post("/compte/organisations/demande", response_class=HTMLResponse)
def join_organisation(
    request: Request, principal: PagePrincipal, settings: PageSettings, db: PageSession, form: FormBody
) -> Response:
    _me(principal, db)
    raw = str(form.get("organisation_id", ""))
    organisation = db.get(Organisation, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if organisation is None:
        return _account_page(
            request,
            principal,
            db,
            errors={"organisation": "choisissez une organisation dans la liste"},
            status_code=422,
        )
    try:
        memberships.request_membership(
            db,
            principal=principal,
            organisation=organisation,
            public_url=settings.public_url,
        )
    except DomainError as exc:
        db.rollback()
        if exc.status_code in (401, 403):
            raise
        return _account_page(
            request, principal, db, errors={"organisation": exc.message}, status_code=exc.status_code
        )
    return RedirectResponse("/compte?demande=1", status_code=303)


@router.post("/compte/organisations/{organisation_id}/membres/{user_id}", response_class=HTMLResponse)
def decide_membership(
    principal: PagePrincipal,
    settings: PageSettings,
    db: PageSession,
    form: FormBody,
    organisation_id: int,
    user_id: int,
) -> Response:
    _me(principal, db)
    membership = memberships.get_membership(db, organisation_id=organisation_id, user_id=user_id)
    memberships.decide_membership(
        db,
        principal=principal,
        membership=membership,
        approve=form.get("decision") == "accepter",
        public_url=settings.public_url,
    )
    return RedirectResponse("/compte?decision=1", status_code=303)


@router.post("/compte/cles", response_class=HTMLResponse)
def create_key(
    request: Request, principal: PagePrincipal, settings: PageSettings, db: PageSession, form: FormBody
) -> Response:
    user = _me(principal, db)
    authorize(principal, Action.create_case)  # a confirmed address, as for any write
    try:
        _, secret = create_api_key(
            db,
            name=str(form.get("name", "")).replace("\x00", "")[:120],
            scopes=parse_scopes([str(v) for v in form.getlist("scopes")], allowed=ALL_SCOPES),
            rate_limit_per_minute=settings.api_key_default_rate_limit,
            user_id=user.id,
            created_by_id=user.id,
            lifetime_days=settings.api_key_days,
        )
    except DomainError as exc:
        db.rollback()
        return _account_page(
            request, principal, db, errors={f"key_{exc.field or 'name'}": exc.message}, status_code=422
        )
    db.commit()  # the page below shows the key once: it must be stored first
    return _account_page(request, principal, db, new_key=secret, status_code=201)


@router.post("/compte/cles/{key_id}/revoquer")
def revoke_key(principal: PagePrincipal, db: PageSession, key_id: int) -> Response:
    user = _me(principal, db)
    key = db.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        raise DomainError("Aucune clé à votre nom avec ce numéro.", status_code=404)
    revoke_api_key(db, key)
    return RedirectResponse("/compte?cle-revoquee=1", status_code=303)


@router.get("/compte/mes-donnees.json")
def download_my_data(principal: PagePrincipal, db: PageSession) -> Response:
    user = _me(principal, db)
    body = json.dumps(gdpr.export_user_data(db, user), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="retex-mes-donnees.json"'},
    )


@router.post("/compte/supprimer", response_class=HTMLResponse)
def delete_account(
    request: Request, principal: PagePrincipal, settings: PageSettings, db: PageSession, form: FormBody
) -> Response:
    user = _me(principal, db)
    password = str(form.get("password", ""))[:1024]
    confirmed = form.get("confirm") == "oui"
    spend(  # counted before the check: the form is not a password oracle
        db,
        f"delete-account:user:{user.id}",
        limit=settings.account_deletions_per_hour,
        window_seconds=3600,
        what="de tentatives de suppression du compte",
    )
    ok = confirmed and (verify_password(user.password_hash, password) if user.password_hash else True)
    if not ok:
        message = "cochez la case et saisissez votre mot de passe pour confirmer"
        return _account_page(request, principal, db, errors={"delete": message}, status_code=422)
    log_out(request, db)
    gdpr.delete_account(db, user)
    return RedirectResponse("/?compte-supprime=1", status_code=303)
