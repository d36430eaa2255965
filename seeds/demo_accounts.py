"""Demo accounts for trying Retex on one's own machine (`make run`): an administrator, a moderator and
a member of the organisation behind the first demo case. Never for a server open to others: the
password is public (it is in the README)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.demo_cases import load_demo_cases
from service.accounts.models import Membership, Role, User
from service.accounts.passwords import hash_password
from service.db.base import utcnow
from service.organisations.models import Organisation

DEMO_PASSWORD = "demo-retex-2026"
DEMO_ACCOUNTS = (
    ("admin@demo.retex.fr", "Alice Admin", Role.admin),
    ("moderation@demo.retex.fr", "Mona Modératrice", Role.moderator),
    ("membre@demo.retex.fr", "Marc Membre", Role.member),
)


def _demo_organisation(session: Session) -> Organisation | None:
    name = next((c["organisation"]["name"] for c in load_demo_cases() if c.get("organisation")), None)
    return session.scalar(select(Organisation).where(Organisation.name == name)) if name else None


def ensure_demo_accounts(session: Session) -> list[tuple[str, Role]]:
    """Create the demo accounts that are missing (idempotent); returns them all."""
    organisation = _demo_organisation(session)
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, role in DEMO_ACCOUNTS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                display_name=name,
                password_hash=password_hash,
                role=role,
                email_verified_at=utcnow(),
            )
            session.add(user)
            session.flush()
            if role is Role.member and organisation is not None:
                session.add(Membership(user_id=user.id, organisation_id=organisation.id, is_org_admin=True))
    session.flush()
    return [(email, role) for email, _, role in DEMO_ACCOUNTS]
