"""Users, their membership of organisations, their login sessions, one-time tokens and API keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, Timestamped, utcnow
from service.organisations.models import Organisation
from service.textkeys import slugify


class Role(enum.StrEnum):
    member = "member"
    moderator = "moderator"
    admin = "admin"


class User(Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # The @mention handle: the display name as a slug (« Claire Martin » → claire-martin), kept in step
    # by the listener below.
    handle: Mapped[str | None] = mapped_column(String(130), index=True)
    # Empty for accounts that only log in through OpenID Connect.
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.member)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(300))
    # How notifications reach this user by email: immediately, daily, weekly or never.
    email_frequency: Mapped[str] = mapped_column(String(20), default="daily", server_default="daily")
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # « Mon territoire »: the visit in progress and the one before it, from which « nouveau depuis ma
    # dernière visite » counts (service/accounts/visits.py).
    territory_visit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    territory_previous_visit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="Membership.user_id"
    )

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class MembershipStatus(enum.StrEnum):
    pending = "pending"  # asked to join, waiting for an organisation admin
    approved = "approved"


class Membership(Timestamped, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    is_org_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[MembershipStatus] = mapped_column(
        Enum(MembershipStatus, native_enum=False, length=20),
        default=MembershipStatus.approved,
        server_default=MembershipStatus.approved.value,
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class UserSession(Base):
    """A browser's login: the cookie carries a random token, the table its SHA-256 (revocable)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenPurpose(enum.StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"


class OneTimeToken(Base):
    """A link sent by email (verify the address, reset the password): stored hashed, used once."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(Enum(TokenPurpose, native_enum=False, length=20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Timestamped, Base):
    """A bearer key for the JSON API. Partner keys (no user) read and search; a member's personal key
    acts as that member, limited to its scopes. Only the SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), index=True)  # shown in lists to recognise a key
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Past this moment the key stops working (RETEX_API_KEY_DAYS after its creation; None: older keys).
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _set_handle(_mapper: object, _connection: object, user: User) -> None:
    user.handle = slugify(user.display_name)[:130] or None
