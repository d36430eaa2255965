"""A display name may not pass for a moderator's or an administrator's: « Mona Modératrice » with a
Cyrillic « о », a zero-width space, other accents or « rn » for « m » is refused at registration and on
the profile form. Names are compared by a skeleton (Unicode compatibility form, case and accents
removed, common look-alike letters folded, only letters and digits kept)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Role, User
from service.api.errors import InvalidFieldError

_LOOKALIKES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "l", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "l", "κ": "k", "ε": "e",
        "0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
        "$": "s", "@": "a",
    }
)  # fmt: skip


def skeleton(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c)).translate(_LOOKALIKES)
    return "".join(c for c in folded if c.isalnum()).replace("rn", "m").replace("vv", "w")


def check_not_staff_lookalike(
    db: Session, name: str, *, user_id: int | None, field: str = "display_name"
) -> None:
    """Refuse `name` when it looks like the name of another account with a staff role."""
    mine = skeleton(name)
    staff = db.execute(
        select(User.id, User.display_name).where(User.role.in_((Role.moderator, Role.admin)), User.is_active)
    )
    for staff_id, staff_name in staff:
        if staff_id != user_id and skeleton(staff_name) == mine:
            raise InvalidFieldError(
                "ce nom ressemble trop à celui d'un membre de l'équipe de modération : "
                "choisissez-en un autre",
                field=field,
            )
