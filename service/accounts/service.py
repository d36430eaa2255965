"""Creating users (registration and login come with the accounts issue)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.accounts.models import Role, User
from service.accounts.passwords import hash_password
from service.accounts.validation import clean_email
from service.api.errors import InvalidFieldError
from service.db.base import utcnow

MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    pass


def create_user(session: Session, *, email: str, display_name: str, password: str, role: str) -> User:
    try:
        email = clean_email(email)  # the same rule as registration
    except InvalidFieldError:
        raise AccountError(f"adresse e-mail invalide : {email!r}") from None
    if not display_name.strip():
        raise AccountError("le nom affiché ne peut pas être vide")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères")
    try:
        user_role = Role(role)
    except ValueError as exc:
        raise AccountError(f"rôle inconnu : {role!r} (member, moderator, admin)") from exc
    if session.scalar(select(func.count(User.id)).where(User.email == email)):
        raise AccountError(f"un compte existe déjà pour {email}")
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=user_role,
        email_verified_at=utcnow(),  # created by the operator, who vouches for the address
    )
    session.add(user)
    session.flush()
    return user
