"""Territory codes: communes keep their INSEE code (5 chars) and groupings their SIREN (9 digits);
département and région codes overlap ("01" is both Ain and Guadeloupe), so they are stored prefixed."""

from __future__ import annotations

DEPARTEMENT_PREFIX = "dep-"
REGION_PREFIX = "reg-"


def departement_key(code: str) -> str:
    return f"{DEPARTEMENT_PREFIX}{code}"


def region_key(code: str) -> str:
    return f"{REGION_PREFIX}{code}"


def normalise_code(code: str) -> str:
    """Accept what people type: a bare 2–3 character code means a département ("83", "2A", "971")."""
    code = code.strip()
    if len(code) <= 3 and code:
        return departement_key(code.upper())
    return code
