"""Creating an account, confirming its email address, and resetting a forgotten password."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.accounts.credentials import end_all_credentials
from service.accounts.display_names import check_not_staff_lookalike
from service.accounts.models import Role, TokenPurpose, User
from service.accounts.one_time_tokens import consume_token, issue_token
from service.accounts.passwords import hash_password
from service.accounts.validation import check_password, clean_display_name, clean_email
from service.api.errors import ConflictError
from service.db.base import utcnow
from service.emails.outbox import queue_email


def find_user_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def send_verification(db: Session, user: User, *, public_url: str) -> None:
    token = issue_token(db, user, TokenPurpose.verify_email)
    queue_email(
        db,
        to=user.email,
        kind="verify_email",
        subject="Retex : confirmez votre adresse e-mail",
        body=(
            f"Bonjour {user.display_name},\n\n"
            "Pour confirmer votre adresse et pouvoir publier et discuter sur Retex, ouvrez ce lien "
            "(valable 3 jours) :\n\n"
            f"{public_url.rstrip('/')}/compte/verifier?jeton={token}\n\n"
            "Si vous n'avez pas créé de compte, ignorez ce message.\n"
        ),
    )


def register(db: Session, *, email: str, display_name: str, password: str, public_url: str) -> User:
    email = clean_email(email)
    display_name = clean_display_name(display_name)
    check_not_staff_lookalike(db, display_name, user_id=None)
    check_password(password)
    if find_user_by_email(db, email) is not None:
        # Registration must say so (the person needs to know); login and reset never do.
        raise ConflictError(
            "Un compte existe déjà avec cette adresse : connectez-vous ou réinitialisez le mot de passe.",
            field="email",
        )
    user = User(
        email=email, display_name=display_name, password_hash=hash_password(password), role=Role.member
    )
    db.add(user)
    db.flush()
    send_verification(db, user, public_url=public_url)
    return user


def verify_email(db: Session, token: str) -> User:
    user = consume_token(db, token, TokenPurpose.verify_email)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.flush()
    return user


def request_password_reset(db: Session, *, email: str, public_url: str) -> None:
    """Sends a link if the account exists; says nothing either way (no account enumeration)."""
    user = find_user_by_email(db, email)
    if user is None or not user.is_active:
        return
    token = issue_token(db, user, TokenPurpose.reset_password)
    queue_email(
        db,
        to=user.email,
        kind="reset_password",
        subject="Retex : choisir un nouveau mot de passe",
        body=(
            f"Bonjour {user.display_name},\n\n"
            "Une demande de nouveau mot de passe a été faite pour votre compte Retex. Ce lien est valable "
            "une heure et ne sert qu'une fois :\n\n"
            f"{public_url.rstrip('/')}/mot-de-passe/nouveau?jeton={token}\n\n"
            "Choisir un nouveau mot de passe ferme toutes vos sessions ouvertes (sur tous vos appareils) "
            "et révoque vos clés d'API personnelles : vous en créerez de nouvelles depuis votre compte.\n\n"
            "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n"
        ),
    )


def reset_password(db: Session, *, token: str, password: str) -> User:
    check_password(password)
    user = consume_token(db, token, TokenPurpose.reset_password)
    user.password_hash = hash_password(password)
    # Whoever knew the old password is logged out everywhere and loses the keys made with it; the
    # link proved the mailbox.
    end_all_credentials(db, user)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.flush()
    return user
