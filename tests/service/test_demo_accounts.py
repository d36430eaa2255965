"""`make run` creates demo accounts so that a visitor can try publishing and moderating at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seeds.demo_accounts import DEMO_PASSWORD, ensure_demo_accounts
from service.accounts.models import Membership, User
from tests.support.web import csrf_from


def test_demo_accounts_are_created_once_and_can_log_in(session: Session, client: TestClient) -> None:
    first = ensure_demo_accounts(session)
    session.commit()
    again = ensure_demo_accounts(session)
    session.commit()
    assert first == again and len(first) == 3
    emails = [email for email, _ in first]
    assert session.scalar(select(func.count(User.id)).where(User.email.in_(emails))) == 3
    member = session.scalar(select(User).where(User.email == "membre@demo.retex.fr"))
    assert member is not None and member.email_verified
    membership = session.scalar(select(Membership).where(Membership.user_id == member.id))
    assert membership is not None and membership.is_org_admin  # can publish for the demo organisation
    token = csrf_from(client.get("/connexion").text)
    response = client.post(
        "/connexion",
        data={"csrf_token": token, "email": "moderation@demo.retex.fr", "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/moderation").status_code == 200
