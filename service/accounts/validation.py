"""What a valid email address, display name and password are (one message per field, in French)."""

from __future__ import annotations

import re

from service.api.errors import InvalidFieldError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # Argon2 accepts more, but a megabyte "password" is an attack
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def clean_email(value: str, *, field: str = "email") -> str:
    email = value.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise InvalidFieldError("adresse e-mail invalide (exemple : prenom.nom@mairie.fr)", field=field)
    return email


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
