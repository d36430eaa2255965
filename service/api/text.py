"""Free text as both the API schema and the services see it.

The schema's `pattern`s use regex `\\s` (Unicode White_Space, in JSON Schema and in pydantic's
engine); Python's `str.split()` also treats the ASCII separators U+001C–U+001F as spaces. The services
use the definition below, the same as the schema's, so that a text the schema accepts is never refused
later for being "empty"."""

from __future__ import annotations

import re

from service.api.errors import InvalidFieldError

SPACES = re.compile(r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def visible_pattern(minimum: int) -> str:
    """A JSON Schema pattern: at least `minimum` characters that are neither spaces nor NUL."""
    return rf"^(\s*[^\s\u0000]){{{minimum}}}"


def squash_spaces(text: str) -> str:
    """One space between words, none around; NUL characters dropped (PostgreSQL refuses them)."""
    return SPACES.sub(" ", text.replace("\x00", "")).strip()


def drop_nul(text: str) -> str:
    """NUL characters dropped: invisible, and PostgreSQL refuses them in text (a 400 for valid JSON)."""
    return text.replace("\x00", "")


def visible_length(text: str) -> int:
    return len(SPACES.sub("", text.replace("\x00", "")))


def check_query(q: str, max_chars: int) -> str:
    """A search query (`q` of /search, of a territory's mutualisation…): spaces squashed, neither empty
    nor longer than the setting. One rule for every endpoint that searches."""
    q = " ".join(q.split())
    if not q:
        raise InvalidFieldError("la recherche est vide : tapez quelques mots", field="q")
    if len(q) > max_chars:
        raise InvalidFieldError(f"la recherche dépasse {max_chars} caractères", field="q")
    return q
