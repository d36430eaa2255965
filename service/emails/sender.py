"""Sends queued emails: through SMTP when RETEX_SMTP_HOST is set, otherwise into data_dir/mail/ as
.eml files (development: read them there). Runs as a thread of `serve`; failures are retried.

The transport knows no feature: what queues mail on a schedule (the discussions digests) is handed
in by whoever starts the sender (service/app.py), as producers run before each sending round."""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.base import utcnow
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
    """Send what is queued; returns how many were sent."""
    sent = 0
    with session_factory() as db:
        pending = db.scalars(
            select(Email)
            .where(Email.sent_at.is_(None), Email.attempts < MAX_ATTEMPTS)
            .order_by(Email.id)
            .limit(limit)
        ).all()
        for email in pending:
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


class EmailSender:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        producers: Sequence[Producer] = (),
        interval: float = 2.0,
    ):
        self._settings = settings
        self._factory = session_factory
        self._producers = tuple(producers)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retex-email-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for produce in self._producers:
                    with self._factory() as db:
                        produce(db)
                        db.commit()
                send_pending(self._settings, self._factory)
            except Exception:  # the database may be away for a while: keep trying
                log.exception("email sender: will retry")
            self._stop.wait(self._interval)
