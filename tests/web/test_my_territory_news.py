"""« Nouveau depuis ma dernière visite » on « Mon territoire »: the experiences of comparable territories
and the discussions nearby since the reader's previous visit — kept on a member's account, in an
anonymous visitor's cookie; reloading the page within a visit does not empty it."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.accounts.models import User
from service.accounts.visits import VISIT_GAP, Visits
from service.api.datetimes import as_utc
from service.casestudies.models import CaseStudy
from service.discussions.models import Post, Thread
from tests.support.people import People
from tests.support.web import csrf_from, drain, log_in
from web.my_territory import COOKIE
from web.visits import COOKIE as VISIT_COOKIE

REGUSSE = "83102"  # INSEE code of Régusse (Var)
NEWS = "Nouveau depuis ma dernière visite"


def _news(page: str) -> str:
    return html.unescape(page.split('id="news-title"', 1)[1].split("</section>", 1)[0])


def test_a_visit_lasts_while_the_reader_keeps_coming_back() -> None:
    t = datetime(2026, 12, 1, 9, tzinfo=UTC)
    first = Visits(None, None).at(t)
    assert first == Visits(None, t)  # a first visit: nothing to compare with
    same = first.at(t + VISIT_GAP / 2)
    assert same == Visits(None, t + VISIT_GAP / 2)  # a reload is the same visit
    later = same.at(t + timedelta(days=2))
    assert later == Visits(t + VISIT_GAP / 2, t + timedelta(days=2))  # what is new counts from there
    assert later.at(t + timedelta(days=2, minutes=5)).previous == later.previous
    assert Visits(t, t + timedelta(days=9)).at(t).previous is None  # a last visit in the future


def test_a_visitor_sees_what_is_new_since_their_last_visit(
    client: TestClient, app: FastAPI, session: Session, people: People
) -> None:
    drain(app)
    latest = max(
        as_utc(session.scalar(select(func.max(CaseStudy.published_at))) or datetime(2000, 1, 1)),
        as_utc(session.scalar(select(func.max(Thread.last_post_at))) or datetime(2000, 1, 1)),
    )
    before = int(latest.timestamp()) + 1  # after everything published so far
    # The jar's name for the test server's host: the server's own cookies replace these, not sit beside them.
    host = f"{client.base_url.host}.local"
    client.cookies.set(COOKIE, REGUSSE, domain=host)
    client.cookies.set(VISIT_COOKIE, f"{before}.{before}", domain=host)
    response = client.get("/mon-territoire")
    assert response.status_code == 200
    news = _news(response.text)
    assert "Rien de nouveau depuis votre dernière visite" in news
    assert response.cookies[VISIT_COOKIE].startswith(f"{before}.")  # the visit in progress, in the cookie
    first = re.search(
        r'class="plain-list my-experiences">.*?href="/experiences/([^"]+)"', response.text, re.S
    )
    assert first is not None
    case = session.scalars(select(CaseStudy).where(CaseStudy.slug == first.group(1))).one()
    published_at = case.published_at
    now = datetime.now(UTC)
    thread = Thread(
        title="Retour d'expérience : combien de temps pour adhérer ?",
        case_study_id=case.id,
        author_id=people.member.user_id,
        last_post_at=now,
        post_count=1,
    )
    try:
        case.published_at = now  # published since the last visit
        session.add(thread)
        session.flush()
        session.add(Post(thread_id=thread.id, author_id=people.member.user_id, body="Trois mois chez nous."))
        session.commit()
        news = _news(client.get("/mon-territoire").text)  # the same visit: still counted from before
        assert "Depuis votre dernière visite, le" in news
        assert case.title in news.split("Expériences de territoires comparables", 1)[1]
        assert thread.title in news.split("Discussions à côté de chez vous", 1)[1]
    finally:
        case.published_at = published_at
        session.query(Post).filter(Post.thread_id == thread.id).delete()
        session.delete(thread)
        session.commit()


def test_a_members_visits_are_kept_on_their_account(
    client: TestClient, session: Session, people: People
) -> None:
    log_in(client, people.member)
    token = csrf_from(client.get("/mon-territoire", params={"q": "Régusse"}).text)
    client.post("/mon-territoire", data={"csrf_token": token, "code": REGUSSE})
    user = session.get(User, people.member.user_id)
    assert user is not None
    user.territory_visit_at = user.territory_previous_visit_at = None
    session.commit()
    assert "C'est votre première visite de cette page" in _news(client.get("/mon-territoire").text)
    session.refresh(user)
    assert user.territory_visit_at is not None and user.territory_previous_visit_at is None
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    user.territory_visit_at = two_hours_ago
    session.commit()
    page = client.get("/mon-territoire").text
    assert NEWS in page and "votre dernière visite, le" in _news(page)
    assert VISIT_COOKIE not in client.cookies  # a member's visits are not in a cookie
    session.refresh(user)
    assert user.territory_previous_visit_at is not None
    assert abs(as_utc(user.territory_previous_visit_at) - two_hours_ago) < timedelta(seconds=1)
