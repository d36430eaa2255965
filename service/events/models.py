"""Events of the network (regional meetings, forums, webinars, visits): their programme of sessions, the
speakers and themes of each session, the experiences presented there, and who attends."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, raiseload, relationship

from service.casestudies.models import CaseStudy
from service.db.base import Base, Timestamped, utcnow
from service.organisations.models import Organisation
from service.territories.models import Territory
from service.themes.models import Theme


class EventKind(enum.StrEnum):
    regional_meeting = "regional_meeting"
    forum = "forum"
    webinar = "webinar"
    visit = "visit"


class SessionKind(enum.StrEnum):
    round_table = "round_table"
    talk = "talk"
    audition = "audition"


event_session_themes = Table(
    "event_session_themes",
    Base.metadata,
    Column("session_id", ForeignKey("event_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True, index=True),
)

event_session_cases = Table(
    "event_session_cases",
    Base.metadata,
    Column("session_id", ForeignKey("event_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("case_study_id", ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(Timestamped, Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EventKind] = mapped_column(Enum(EventKind, native_enum=False, length=20), index=True)
    # Stored in UTC; `timezone` (IANA name) is how the organiser states the times, used for display and .ics.
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Paris")
    territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territories.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str | None] = mapped_column(String(500))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when rendered
    # Why the record exists when it was not written on Retex (e.g. reconstructed from a public account).
    note: Mapped[str | None] = mapped_column(Text)
    external_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    territory: Mapped[Territory | None] = relationship(lazy="joined")
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event",
        order_by="EventSession.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class EventSession(Base):
    __tablename__ = "event_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SessionKind] = mapped_column(Enum(SessionKind, native_enum=False, length=20))
    description: Mapped[str] = mapped_column(Text, default="")
    # Optional times (UTC), within the event's; shown in the event's time zone.
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    event: Mapped[Event] = relationship(back_populates="sessions")
    themes: Mapped[list[Theme]] = relationship(secondary=event_session_themes, lazy="selectin")
    cases: Mapped[list[CaseStudy]] = relationship(secondary=event_session_cases, lazy="selectin")
    speakers: Mapped[list[EventSpeaker]] = relationship(
        order_by="EventSpeaker.position", cascade="all, delete-orphan", lazy="selectin"
    )


class EventSpeaker(Base):
    """A speaker: an account of Retex, or a name typed by the organiser (with an organisation)."""

    __tablename__ = "event_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(300), default="")


class EventAttendance(Base):
    __tablename__ = "event_attendances"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_event_attendances_event_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# How lists load events: a card shows an event's own fields. Its programme (sessions, with their cases,
# speakers and themes: four more statements) is not loaded, and reading it from a card raises.
AS_CARDS = (raiseload(Event.sessions),)
