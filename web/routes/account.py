"""Logging in and out, registering, confirming the email address, resetting a forgotten password.

Every form posts and redirects (works without JavaScript); errors are shown under their field with
what was typed kept (except passwords)."""

from __future__ import annotations

import hashlib
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.accounts import registration
from service.accounts.login import LoginLimits, authenticate
from service.accounts.models import User
from service.accounts.oidc import OidcClient
from service.api.errors import DomainError, TooManyRequests
from service.ratelimit.budgets import client_ip, spend
from web.auth import log_in_user, log_out, password_slot_free
from web.dependencies import PageOidc, PagePrincipal, PageSettings
from web.params import FormBody, PageSession, form_text
from web.templating import render

router = APIRouter()
RESET_ANSWER_SECONDS = 0.3  # a « mot de passe oublié » answer never comes sooner

LABELS = {
    "email": "Adresse e-mail",
    "password": "Mot de passe",
    "display_name": "Nom affiché",
    "password_confirm": "Confirmation du mot de passe",
}


def safe_next(value: object, default: str = "/compte") -> str:
    """Only a local path (never //host or a scheme): no open redirect through ?suivant=."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value[:500].replace("\x00", "")
    return default


def _login_page(
    request: Request,
    oidc: OidcClient | None,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {"next": next_url, "email": email, "error": error, "oidc_label": oidc.label if oidc else None}
    return render(request, "login.html", context, status_code=status_code, headers=headers)


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request, principal: PagePrincipal, oidc: PageOidc) -> Response:
    next_url = safe_next(request.query_params.get("suivant"))
    if principal.is_user:
        return RedirectResponse(next_url, status_code=303)
    return _login_page(request, oidc, next_url=next_url)


@router.post("/connexion", response_class=HTMLResponse, dependencies=[Depends(password_slot_free)])
def login(
    request: Request, settings: PageSettings, oidc: PageOidc, db: PageSession, form: FormBody
) -> Response:
    next_url = safe_next(form.get("suivant"))
    email, password = form_text(form, "email", 320).strip(), form_text(form, "password", 1024)
    limits = LoginLimits(settings.login_max_failures_per_account, settings.login_max_failures_per_ip)
    try:
        user = authenticate(
            db,
            email=email,
            password=password,
            ip=client_ip(request),
            limits=limits,
        )
    except TooManyRequests as exc:
        return _login_page(
            request,
            oidc,
            next_url=next_url,
            email=email,
            error=exc.message,
            status_code=429,
            headers=exc.headers,
        )
    except DomainError as exc:
        return _login_page(request, oidc, next_url=next_url, email=email, error=exc.message, status_code=401)
    log_in_user(request, db, user)
    return RedirectResponse(next_url, status_code=303)


@router.post("/deconnexion")
def logout(request: Request, db: PageSession) -> Response:
    log_out(request, db)
    return RedirectResponse("/", status_code=303)


# --- registration and email confirmation -----------------------------------------------------------


@router.get("/inscription", response_class=HTMLResponse)
def register_page(request: Request) -> HTMLResponse:
    return render(request, "register.html", {"values": {}, "errors": {}, "labels": LABELS})


@router.post("/inscription", response_class=HTMLResponse, dependencies=[Depends(password_slot_free)])
def register(request: Request, settings: PageSettings, db: PageSession, form: FormBody) -> Response:
    values = {name: form_text(form, name, 400) for name in ("email", "display_name")}
    password, confirm = form_text(form, "password", 1024), form_text(form, "password_confirm", 1024)
    errors: dict[str, str] = {}
    if password != confirm:
        errors["password_confirm"] = "les deux mots de passe sont différents"
    if not errors:
        spend(  # before the password is hashed: each registration costs an Argon2 hash
            db,
            f"register:ip:{client_ip(request)}",
            limit=settings.registrations_per_hour,
            window_seconds=3600,
            what="d'inscriptions",
        )
        try:
            user = registration.register(
                db,
                email=values["email"],
                display_name=values["display_name"],
                password=password,
                public_url=settings.public_url,
            )
        except DomainError as exc:
            errors[exc.field or "email"] = exc.message
        else:
            log_in_user(request, db, user)
            return RedirectResponse("/compte?bienvenue=1", status_code=303)
    return render(
        request, "register.html", {"values": values, "errors": errors, "labels": LABELS}, status_code=422
    )


def _message(
    request: Request, title: str, text: str, *, status_code: int = 200, link: tuple[str, str] | None = None
) -> HTMLResponse:
    return render(
        request, "message.html", {"title": title, "text": text, "link": link}, status_code=status_code
    )


@router.get("/compte/verifier", response_class=HTMLResponse)
def verify_email(request: Request, db: PageSession) -> HTMLResponse:
    try:
        registration.verify_email(db, request.query_params.get("jeton", ""))
    except DomainError as exc:
        return _message(
            request,
            "Lien non valable",
            exc.message,
            status_code=400,
            link=("/compte", "Renvoyer un lien depuis mon compte"),
        )
    return _message(
        request,
        "Adresse confirmée",
        "Merci : vous pouvez maintenant publier et discuter.",
        link=("/compte", "Aller à mon compte"),
    )


@router.post("/compte/verifier/renvoyer")
def resend_verification(principal: PagePrincipal, settings: PageSettings, db: PageSession) -> Response:
    if not principal.is_user:
        return RedirectResponse("/connexion?suivant=/compte", status_code=303)
    user = db.get(User, principal.user_id)
    if user is not None and not user.email_verified:
        spend(
            db,
            f"verify-mail:user:{user.id}",
            limit=settings.verification_mails_per_hour,
            window_seconds=3600,
            what="d'envois du lien de confirmation",
        )
        registration.send_verification(db, user, public_url=settings.public_url)
    return RedirectResponse("/compte?lien=envoye", status_code=303)


# --- forgotten password ------------------------------------------------------------------------------


@router.get("/mot-de-passe-oublie", response_class=HTMLResponse)
def forgot_page(request: Request) -> HTMLResponse:
    return render(request, "password_forgot.html", {"values": {}, "errors": {}, "labels": LABELS})


@router.post("/mot-de-passe-oublie", response_class=HTMLResponse)
def forgot(request: Request, settings: PageSettings, db: PageSession, form: FormBody) -> Response:
    email = form_text(form, "email", 320).strip()
    if not email:
        return render(
            request,
            "password_forgot.html",
            {"values": {}, "errors": {"email": "indiquez l'adresse de votre compte"}, "labels": LABELS},
            status_code=422,
        )
    # Counted whether the account exists or not, before anything else; same answer either way.
    per_address = settings.password_resets_per_hour
    address_key = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    for key, limit in (
        (f"reset:ip:{client_ip(request)}", 4 * per_address),
        (f"reset:email:{address_key}", per_address),
    ):
        spend(db, key, limit=limit, window_seconds=3600, what="de demandes de nouveau mot de passe")
    began = time.monotonic()
    registration.request_password_reset(db, email=email, public_url=settings.public_url)
    db.commit()  # the mail is queued now, inside the constant time below
    # Same time whether the account exists or not (an unknown address writes nothing).
    time.sleep(max(0.0, RESET_ANSWER_SECONDS - (time.monotonic() - began)))
    return _message(
        request,
        "Vérifiez votre messagerie",
        "Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe vient d'y être "
        "envoyé. Il est valable une heure.",
    )


@router.get("/mot-de-passe/nouveau", response_class=HTMLResponse)
def reset_page(request: Request) -> HTMLResponse:
    token = request.query_params.get("jeton", "")[:200]
    return render(request, "password_reset.html", {"token": token, "errors": {}, "labels": LABELS})


@router.post("/mot-de-passe/nouveau", response_class=HTMLResponse)
def reset(request: Request, db: PageSession, form: FormBody) -> Response:
    token = form_text(form, "jeton", 200)
    password, confirm = form_text(form, "password", 1024), form_text(form, "password_confirm", 1024)
    errors: dict[str, str] = {}
    if password != confirm:
        errors["password_confirm"] = "les deux mots de passe sont différents"
    else:
        try:
            user = registration.reset_password(db, token=token, password=password)
        except DomainError as exc:
            if exc.field:
                errors[exc.field] = exc.message
            else:
                return _message(
                    request,
                    "Lien non valable",
                    exc.message,
                    status_code=400,
                    link=("/mot-de-passe-oublie", "Demander un nouveau lien"),
                )
        else:
            log_in_user(request, db, user)
            return RedirectResponse("/compte?mot-de-passe=change", status_code=303)
    return render(
        request, "password_reset.html", {"token": token, "errors": errors, "labels": LABELS}, status_code=422
    )
