"""Daily and weekly digests: one email per member gathering the notifications not emailed yet.

A notification is emailed exactly once (its `emailed_at` is set in the same transaction as the
queued email), so running digests twice, or from two processes one after the other, never repeats
an item."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.accounts.models import User
from service.db.base import utcnow
from service.discussions.models import EmailFrequency, Notification
from service.emails.outbox import queue_email

PERIODS = {EmailFrequency.daily: timedelta(days=1), EmailFrequency.weekly: timedelta(days=7)}
MAX_ITEMS = 50


def _body(user: User, notes: list[Notification], public_url: str, label: str) -> str:
    lines = [f"Bonjour {user.display_name},", "", f"Votre résumé {label} de Retex :", ""]
    for note in notes[:MAX_ITEMS]:
        lines.append(f"- {note.text}")
        lines.append(f"  {public_url.rstrip('/')}{note.url}")
    if len(notes) > MAX_ITEMS:
        lines.append(f"… et {len(notes) - MAX_ITEMS} autres : {public_url.rstrip('/')}/notifications")
    lines += ["", "Réglez la fréquence de ces messages dans « Mon compte »."]
    return "\n".join(lines) + "\n"


def send_due_digests(db: Session, *, public_url: str, now: datetime | None = None) -> int:
    """Queue the digests that are due; returns how many emails were queued. The caller commits."""
    now = now or utcnow()
    sent = 0
    for frequency, period in PERIODS.items():
        due = db.scalars(
            select(User).where(
                User.is_active,
                User.email_frequency == frequency.value,
                or_(User.last_digest_at.is_(None), User.last_digest_at <= now - period),
            )
        ).all()
        for user in due:
            notes = list(
                db.scalars(
                    select(Notification)
                    .where(
                        Notification.user_id == user.id,
                        Notification.emailed_at.is_(None),
                        Notification.created_at <= now,
                    )
                    .order_by(Notification.created_at, Notification.id)
                    .with_for_update(skip_locked=True)  # PostgreSQL: two senders never share a row
                )
            )
            if not notes:
                continue
            label = "du jour" if frequency is EmailFrequency.daily else "de la semaine"
            count = f"{len(notes)} nouveauté{'s' if len(notes) > 1 else ''}"
            queue_email(
                db,
                to=user.email,
                kind=f"digest_{frequency.value}",
                subject=f"Retex : votre résumé {label} ({count})",
                body=_body(user, notes, public_url, label),
            )
            for note in notes:
                note.emailed_at = now
            user.last_digest_at = now
            sent += 1
    db.flush()
    return sent
