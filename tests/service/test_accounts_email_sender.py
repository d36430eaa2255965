"""The email sender: .eml files without an SMTP server, retries when the server is away, and one bad
email never blocks the others. Each test has its own database holding only the outbox, so that
sending never touches the emails other tests read."""

from __future__ import annotations

import email
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.base import utcnow
from service.db.engine import make_engine, make_session_factory
from service.emails.models import Email
from service.emails.outbox import queue_email
from service.emails.sender import MAX_ATTEMPTS, EmailSender, send_pending
from service.settings import Settings
from tests.processes import LocalPostgres
from tests.support.databases import create_database


@pytest.fixture
def outbox(scratch_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(scratch_url)
    Email.__table__.create(engine)  # type: ignore[attr-defined]
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _settings(data_dir: Path, *, smtp_host: str | None = None, smtp_port: int = 587) -> Settings:
    return Settings(
        data_dir=data_dir,
        model="hashing",
        mail_from="Retex <ne-pas-repondre@retex.test>",
        smtp_host=smtp_host,
        smtp_port=smtp_port,
    )


def _queue(factory: sessionmaker[Session], *subjects: str) -> list[int]:
    with factory() as db:
        ids = [
            queue_email(db, to="agent@mairie.test.fr", subject=s, body=f"Bonjour,\n\n{s}\n", kind="test").id
            for s in subjects
        ]
        db.commit()
    return ids


def _rows(factory: sessionmaker[Session]) -> list[Email]:
    with factory() as db:
        return list(db.scalars(select(Email).order_by(Email.id)))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nobody listens there any more


def _read_eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def test_without_smtp_emails_become_eml_files(tmp_path: Path, outbox: sessionmaker[Session]) -> None:
    ids = _queue(outbox, "Retex : confirmez votre adresse e-mail", "Retex : « Tiers-lieu » est publiée")
    settings = _settings(tmp_path)
    assert send_pending(settings, outbox) == 2
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in files] == [f"{i:08d}.eml" for i in ids]
    first = _read_eml(files[0])
    assert first["To"] == "agent@mairie.test.fr"
    assert first["From"] == "Retex <ne-pas-repondre@retex.test>"
    assert first["Subject"] == "Retex : confirmez votre adresse e-mail"
    body = first.get_body()
    assert body is not None and "confirmez votre adresse" in body.get_content()
    assert _read_eml(files[1])["Subject"] == "Retex : « Tiers-lieu » est publiée"
    assert all(row.sent_at is not None and row.attempts == 1 for row in _rows(outbox))
    assert send_pending(settings, outbox) == 0, "nothing is sent twice"


def test_unreachable_smtp_server_is_retried_later(tmp_path: Path, outbox: sessionmaker[Session]) -> None:
    _queue(outbox, "Retex : choisir un nouveau mot de passe")
    away = _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=_closed_port())
    assert send_pending(away, outbox) == 0
    (row,) = _rows(outbox)
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert send_pending(away, outbox) == 0
    (row,) = _rows(outbox)
    assert row.attempts == 2, "tried again on the next round"

    back = _settings(tmp_path)  # the server is back (here: files)
    assert send_pending(back, outbox) == 1
    (row,) = _rows(outbox)
    assert row.sent_at is not None and row.attempts == 3
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_gives_up_after_max_attempts(tmp_path: Path, outbox: sessionmaker[Session]) -> None:
    _queue(outbox, "Retex : un message qui ne partira pas")
    away = _settings(tmp_path, smtp_host="127.0.0.1", smtp_port=_closed_port())
    for _ in range(MAX_ATTEMPTS + 2):
        assert send_pending(away, outbox) == 0
    (row,) = _rows(outbox)
    assert row.attempts == MAX_ATTEMPTS and row.sent_at is None


def test_a_malformed_email_does_not_block_the_queue(tmp_path: Path, outbox: sessionmaker[Session]) -> None:
    # A case title may hold a line break; moderation puts it in the subject, and a header cannot.
    _queue(outbox, "Retex : « Ligne un\nLigne deux » est refusée", "Retex : le message suivant")
    settings = _settings(tmp_path)
    assert send_pending(settings, outbox) == 2
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert [_read_eml(f)["Subject"] for f in files] == [
        "Retex : « Ligne un Ligne deux » est refusée",
        "Retex : le message suivant",
    ]


def test_the_sender_runs_the_producers_it_is_given_then_sends(
    tmp_path: Path, outbox: sessionmaker[Session]
) -> None:
    """The transport knows no feature: a scheduled job (the digests, wired by the app) is handed in, its
    emails are committed, then sent in the same round."""

    def produce(db: Session) -> None:
        queue_email(db, to="agent@mairie.test.fr", subject="Votre résumé", body="Bonjour\n", kind="digest")

    sender = EmailSender(_settings(tmp_path), outbox, producers=[produce], interval=0.05)
    sender.start()
    try:
        for _ in range(200):
            if any(row.sent_at is not None for row in _rows(outbox)):
                break
            time.sleep(0.05)
    finally:
        sender.stop()
    rows = _rows(outbox)
    assert rows and rows[0].kind == "digest" and rows[0].sent_at is not None
    assert (tmp_path / "mail" / f"{rows[0].id:08d}.eml").exists()


def test_a_mail_another_process_is_sending_is_left_to_it(
    local_postgres: LocalPostgres, tmp_path: Path
) -> None:
    """Several app processes on PostgreSQL each run a sender: one that holds a mail (sending it) makes
    the others pass over it, and once it is marked sent nobody sends it again."""
    # A sender that waited for the held row would fail after 5 s instead of hanging the test.
    url = create_database(local_postgres, "retex_mails")
    engine = make_engine(url, connect_args={"options": "-c lock_timeout=5000"})
    Email.__table__.create(engine)  # type: ignore[attr-defined]
    factory = make_session_factory(engine)
    settings = _settings(tmp_path)
    try:
        first, second, third = _queue(factory, "Un", "Deux", "Trois")
        with factory() as other:  # another process's sender, in the middle of sending "Deux"
            held = other.scalars(select(Email).where(Email.id == second).with_for_update()).one()
            started = time.monotonic()
            assert send_pending(settings, factory) == 2
            assert time.monotonic() - started < 10, "the held mail was skipped, not waited for"
            held.attempts, held.sent_at = 1, utcnow()
            other.commit()
        assert send_pending(settings, factory) == 0
        sent = sorted(f.name for f in (tmp_path / "mail").glob("*.eml"))
        assert sent == [f"{first:08d}.eml", f"{third:08d}.eml"]
    finally:
        engine.dispose()
