"""Queue an email: a row in the same transaction as the change that causes it (so an email is
never sent for something that was rolled back, and never lost for something that was committed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.emails.models import Email


def queue_email(db: Session, *, to: str, subject: str, body: str, kind: str) -> Email:
    email = Email(to_address=to, subject=subject[:300], body=body, kind=kind)
    db.add(email)
    db.flush()
    return email
