"""The accounts of every role the `people` fixture (tests/conftest.py) creates once per test run."""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "un mot de passe assez long"


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    password: str = PASSWORD
    api_key: str = ""  # a personal key (read, search, write), or the partner's key
    display_name: str = ""


@dataclass(frozen=True)
class People:
    """Accounts of every role, created once per test run in the seeded database.

    `member` belongs to `org_id` (approved; `org_admin` administers it), `outsider` to `other_org_id`;
    `unverified` never confirmed their email; `partner` is an API key with no account."""

    admin: Person
    moderator: Person
    member: Person
    org_admin: Person
    outsider: Person
    unverified: Person
    partner: Person
    org_id: int
    other_org_id: int

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, who).api_key}"}
