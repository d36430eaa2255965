"""Accent-free keys for names: search keys and URL slugs."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation as single spaces: 'L'Haÿ-les-Roses' -> 'l hay les roses'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def slugify(text: str, max_length: int = 100) -> str:
    slug = fold(text).replace(" ", "-")[:max_length].strip("-")
    return slug or "sans-titre"
