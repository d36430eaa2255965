"""Notifications: daily and weekly digests over a simulated week, immediate emails, notification of a
newly published case to the followers of its theme, and the notifications API."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from service.discussions.digests import send_due_digests
from service.discussions.models import Notification
from service.emails.models import Email
from service.settings import Settings
from tests.service.discussions_kit import Kit, Member, new_post, new_thread
from tests.support.api import all_items
from tests.support.people import People

MESSAGE_ID = re.compile(r"#message-(\d+)")


@pytest.fixture
def kit(seeded_engine: Engine) -> Kit:
    return Kit(seeded_engine)


def _follow(client: TestClient, who: Member, target_type: str, target_id: int) -> None:
    response = client.post(
        "/api/v1/me/follows", json={"target_type": target_type, "target_id": target_id}, headers=who.headers
    )
    assert response.status_code == 204, response.text


def _digests(kit: Kit, who: Member) -> list[Email]:
    return [e for e in kit.emails_to(who.email) if e.kind.startswith("digest_")]


def _items(email: Email) -> list[int]:
    return [int(m) for m in MESSAGE_ID.findall(email.body)]


def test_a_week_of_activity_gives_one_digest_per_period(
    client: TestClient, kit: Kit, people: People, settings: Settings
) -> None:
    writer = kit.member("Alix", org_id=people.org_id)
    weekly = kit.member("Wanda", org_id=people.other_org_id, frequency="weekly")
    daily = kit.member("Denis", org_id=people.other_org_id, frequency="daily")
    at_once = kit.member("Ines", org_id=people.other_org_id, frequency="immediately")
    never = kit.member("Noé", org_id=people.other_org_id, frequency="never")
    thread = new_thread(client, writer)
    for follower in (weekly, daily, at_once, never):
        _follow(client, follower, "thread", thread["id"])

    posts = [new_post(client, writer, thread["id"], f"Nouvelles du jour {day}.")["id"] for day in range(7)]

    # The immediate follower got one email per post, at once.
    instant = [e for e in kit.emails_to(at_once.email) if e.kind == "notification_reply"]
    assert [_items(e) for e in instant] == [[p] for p in posts]
    assert kit.emails_to(never.email) == []

    # Spread the week: post n was written on day n at 08:00, digests run every day at 09:00.
    monday = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=10)
    with kit.factory() as db:
        for note in db.scalars(select(Notification).where(Notification.post_id.in_(posts))):
            note.created_at = monday + timedelta(days=posts.index(note.post_id or 0))
        db.commit()

    sent_by_day: dict[int, dict[str, list[list[int]]]] = {}
    for day in range(9):
        for _ in range(2):  # a second run at the same time sends nothing more
            with kit.factory() as db:
                send_due_digests(
                    db, public_url=settings.public_url, now=monday + timedelta(days=day, hours=1)
                )
                db.commit()
        sent_by_day[day] = {
            name: [_items(e) for e in _digests(kit, who)]
            for name, who in (("weekly", weekly), ("daily", daily))
        }

    # The first digest goes once its oldest item is a day old (day 1, with days 0 and 1), then daily.
    daily_digests = sent_by_day[8]["daily"]
    assert daily_digests == [posts[:2]] + [[p] for p in posts[2:]], "one digest a day, each item once"
    assert [len(sent_by_day[day]["daily"]) for day in range(9)] == [0, 1, 2, 3, 4, 5, 6, 6, 6]
    weekly_digests = sent_by_day[8]["weekly"]
    assert weekly_digests == [posts], "one weekly digest with the whole week"
    assert [len(sent_by_day[day]["weekly"]) for day in range(9)] == [0] * 7 + [1, 1]
    weekly_email = _digests(kit, weekly)[0]
    assert "de la semaine (7 nouveautés)" in weekly_email.subject
    assert weekly_email.body.count(thread["title"]) == 7

    assert _digests(kit, at_once) == [] and _digests(kit, never) == []
    with kit.factory() as db:
        pending = db.scalars(
            select(Notification).where(
                Notification.post_id.in_(posts),
                Notification.user_id.in_([weekly.user_id, daily.user_id, at_once.user_id]),
                Notification.emailed_at.is_(None),
            )
        ).all()
    assert pending == [], "every notification was emailed exactly once"


def _new_case(client: TestClient, author: Member, theme: str, org_id: int) -> int:
    created = client.post(
        "/api/v1/case-studies",
        json={
            "title": f"Capteurs de pollen {uuid.uuid4().hex[:8]}",
            "summary": "Des capteurs de pollen partagés par plusieurs communes.",
            "status": "pilot",
            "themes": [theme],
            "territory_codes": ["83050"],
            "organisation_id": org_id,
            "publication_state": "submitted",
        },
        headers=author.headers,
    )
    assert created.status_code == 201, created.text
    case_id: int = created.json()["id"]
    return case_id


def _move(client: TestClient, case_id: int, to: str, headers: dict[str, str]) -> None:
    moved = client.post(f"/api/v1/case-studies/{case_id}/transitions", json={"to": to}, headers=headers)
    assert moved.status_code == 200, moved.text


def test_followers_of_a_theme_hear_once_about_a_newly_published_case(
    client: TestClient, kit: Kit, people: People
) -> None:
    author = kit.member("Alix", org_id=people.org_id)
    fan = kit.member("Fanny", org_id=people.other_org_id)
    elsewhere = kit.member("Gaël", org_id=people.other_org_id)
    neighbour = kit.member("Hugo", org_id=people.other_org_id)
    _follow(client, fan, "theme", kit.theme_id("services-en-ligne"))
    _follow(client, neighbour, "territory", kit.territory_id("83050"))
    _follow(client, elsewhere, "theme", kit.theme_id_other_than("services-en-ligne"))

    case_id = _new_case(client, author, "services-en-ligne", people.org_id)
    assert kit.notifications(fan.user_id) == [], "a submitted case is not news yet"

    _move(client, case_id, "published", people.headers("moderator"))
    notes = kit.notifications(fan.user_id)
    assert [(n.kind, n.case_study_id) for n in notes] == [("new_case", case_id)]
    assert notes[0].url.startswith("/experiences/")
    assert [(n.kind, n.case_study_id) for n in kit.notifications(neighbour.user_id)] == [
        ("new_case", case_id)
    ]
    assert kit.notifications(elsewhere.user_id) == []
    assert kit.notifications(author.user_id) == []

    _move(client, case_id, "archived", author.headers)
    _move(client, case_id, "published", people.headers("moderator"))
    assert len(kit.notifications(fan.user_id)) == 1, "restoring an archived case is not news"
    assert len(kit.notifications(neighbour.user_id)) == 1


def test_notifications_list_and_mark_read(client: TestClient, kit: Kit, people: People) -> None:
    writer = kit.member("Alix", org_id=people.org_id)
    reader = kit.member("Basile", org_id=people.other_org_id)
    thread = new_thread(client, writer)
    _follow(client, reader, "thread", thread["id"])
    posts = [new_post(client, writer, thread["id"], f"Réponse {n}")["id"] for n in range(3)]

    items = all_items(client, "/api/v1/me/notifications", reader.headers)
    assert [int(MESSAGE_ID.findall(n["url"])[0]) for n in items] == posts[::-1], "newest first"
    assert {n["kind"] for n in items} == {"reply"}
    assert sum(n["read_at"] is None for n in items) == 3
    assert all_items(client, "/api/v1/me/notifications", writer.headers) == [], "only one's own"

    assert client.post("/api/v1/me/notifications/read", headers=reader.headers).status_code == 204
    items = all_items(client, "/api/v1/me/notifications", reader.headers)
    assert sum(n["read_at"] is None for n in items) == 0

    new_post(client, writer, thread["id"], "Encore une réponse")
    items = all_items(client, "/api/v1/me/notifications", reader.headers)
    assert sum(n["read_at"] is None for n in items) == 1

    assert client.get("/api/v1/me/notifications").status_code == 401
