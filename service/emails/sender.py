"""Sends queued emails: through SMTP when RETEX_SMTP_HOST is set, otherwise into data_dir/mail/ as
.eml files (development: read them there). Runs as a thread of `serve`; failures are retried.

The transport knows no feature: what queues mail on a schedule (the discussions digests) is handed
in by whoever starts the sender (service/app.py), as producers run before each sending round."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.base import utcnow
from service.db.polling import PollingWorker
from service.emails.models import Email
from service.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# Queues the emails that are due (e.g. digests) in the given session; the sender commits.
Producer = Callable[[Session], object]


def _message(settings: Settings, email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.to_address
    # A header cannot hold a line break, and subjects quote user text (a case title may have one).
    message["Subject"] = " ".join(email.subject.split())
    message.set_content(email.body)
    return message


def deliver(settings: Settings, email: Email) -> None:
    message = _message(settings, email)
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
        return
    folder = Path(settings.data_dir) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{email.id:08d}.eml").write_bytes(bytes(message))
    log.info("email %s to %s written to %s (no SMTP server set)", email.kind, email.to_address, folder)


def send_pending(settings: Settings, session_factory: sessionmaker[Session], *, limit: int = 50) -> int:
    """Send what is queued; returns how many were sent.

    Each mail is claimed in a transaction of its own, held while it goes out: on PostgreSQL
    `FOR UPDATE SKIP LOCKED`, so that the senders of several app processes never send the same mail
    twice (one skips what another holds, and re-reads `sent_at` once it is free). SQLite ignores the
    lock clause: one process per database sends there (its claim guard, service/app.py)."""
    sent = 0
    with session_factory() as db:
        pending = db.scalars(
            select(Email.id)
            .where(Email.sent_at.is_(None), Email.attempts < MAX_ATTEMPTS)
            .order_by(Email.id)
            .limit(limit)
        ).all()
        db.rollback()  # end the read: each claim below is its own transaction
        for email_id in pending:
            email = db.scalars(
                select(Email)
                .where(Email.id == email_id, Email.sent_at.is_(None), Email.attempts < MAX_ATTEMPTS)
                .with_for_update(skip_locked=True)
            ).first()
            if email is None:  # sent meanwhile, or being sent by another process
                db.rollback()
                continue
            email.attempts += 1
            try:
                deliver(settings, email)
            except (OSError, smtplib.SMTPException, ValueError) as exc:  # ValueError: a bad header
                email.last_error = str(exc)[:1000]
                log.warning("email %d not sent (attempt %d): %s", email.id, email.attempts, exc)
            else:
                email.sent_at = utcnow()
                sent += 1
            db.commit()
    return sent


class EmailSender(PollingWorker):
    """Runs the producers (e.g. the discussions' digests, handed over by the app), then sends what is
    queued, every `interval` seconds (at once again while mails are waiting)."""

    thread_name = "retex-email-sender"

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        producers: Sequence[Producer] = (),
        interval: float = 2.0,
    ):
        super().__init__(poll_seconds=interval)
        self._settings = settings
        self._factory = session_factory
        self._producers = tuple(producers)

    def run_once(self) -> int:
        for produce in self._producers:
            with self._factory() as db:
                produce(db)
                db.commit()
        return send_pending(self._settings, self._factory)
