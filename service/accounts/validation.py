"""What a valid email address, display name and password are (one message per field, in French)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from service.api.errors import InvalidFieldError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # Argon2 accepts more, but a megabyte "password" is an attack
INVALID_EMAIL = "adresse e-mail invalide (exemple : prenom.nom@mairie.fr)"


def clean_email(value: str, *, field: str = "email") -> str:
    """The one e-mail rule of every entry point (registration, profile, `retex create-user`, OpenID
    Connect): RFC syntax as checked by the maintained email-validator library (no `,` `;`, no invisible
    or control characters), no DNS lookup; stored in lower case."""
    email = value.strip()
    if len(email) > 320:
        raise InvalidFieldError(INVALID_EMAIL, field=field)
    try:
        checked = validate_email(email, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise InvalidFieldError(INVALID_EMAIL, field=field) from None
    return checked.normalized.lower()


def clean_display_name(value: str, *, field: str = "display_name") -> str:
    name = " ".join(value.split())
    if not name:
        raise InvalidFieldError("indiquez votre nom (il s'affiche avec vos contributions)", field=field)
    if len(name) > 120:
        raise InvalidFieldError("120 caractères au plus", field=field)
    return name


def check_password(value: str, *, field: str = "password") -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise InvalidFieldError(f"au moins {MIN_PASSWORD_LENGTH} caractères", field=field)
    if len(value) > MAX_PASSWORD_LENGTH:
        raise InvalidFieldError(f"{MAX_PASSWORD_LENGTH} caractères au plus", field=field)
    return value
