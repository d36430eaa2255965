from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.accounts.models import MembershipStatus, Role
from service.api.datetimes import UtcDateTime


class MembershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    organisation_id: int
    user_id: int
    status: MembershipStatus
    is_org_admin: bool
    created_at: UtcDateTime


class MyOrganisation(BaseModel):
    id: int
    name: str
    status: MembershipStatus
    is_org_admin: bool


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    email_verified: bool
    organisations: list[MyOrganisation]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    is_active: bool
    email_verified: bool
    created_at: UtcDateTime


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: bool | None = None


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_org_admin: bool


ScopeName = Literal["read", "search", "write"]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, Field(min_length=1, max_length=120, pattern=r"\S", examples=["Agence régionale du numérique"])
    ]
    scopes: Annotated[list[ScopeName], Field(min_length=1, max_length=3)] = ["read", "search"]
    rate_limit_per_minute: Annotated[int | None, Field(ge=1, le=100_000)] = None


class PartnerKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, Field(min_length=1, max_length=120, pattern=r"\S", examples=["Agence régionale du numérique"])
    ]
    scopes: Annotated[list[Literal["read", "search"]], Field(min_length=1, max_length=2)] = ["read", "search"]
    rate_limit_per_minute: Annotated[int | None, Field(ge=1, le=100_000)] = None


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    rate_limit_per_minute: int
    user_id: int | None
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None
    expires_at: UtcDateTime | None = None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="La clé elle-même : affichée cette seule fois, conservez-la.")
