"""Synchronisation for partners' mirrors: `updated_since` walks, the removals feed, and the recipe of
docs/api.md (« Tenir un miroir à jour ») followed against random changes."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseLink, CaseStudy
from service.themes.models import Theme

CASES = "/api/v1/case-studies"
REMOVALS = "/api/v1/removals"
MIRRORED_LISTS = [
    "/api/v1/case-studies",
    "/api/v1/organisations",
    "/api/v1/software",
    "/api/v1/territories",
    "/api/v1/threads",
    "/api/v1/events",
    "/api/v1/collections",
    "/api/v1/contests",
]


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _now() -> datetime:
    return datetime.now(UTC)


def _create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Miroir partenaire {uuid.uuid4().hex[:8]}",
        "summary": "Une expérience créée pour vérifier la synchronisation des partenaires.",
        "context": "Un partenaire recopie les expériences publiées.",
        "solution": "Il suit updated_since et le flux des suppressions.",
        "status": "pilot",
        "themes": ["services-en-ligne"],
        "territory_codes": ["83050"],
        "publication_state": "published",
    }
    body.update(overrides)
    response = client.post(CASES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _walk(client: TestClient, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next"]
        if cursor is None:
            return items


def _transition(client: TestClient, headers: dict[str, str], case_id: int, to: str) -> None:
    body: dict[str, Any] = {"to": to}
    if to == "rejected":
        body["reason"] = "Retirée après un signalement vérifié."
    response = client.post(f"{CASES}/{case_id}/transitions", json=body, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("url", MIRRORED_LISTS)
def test_every_mirrored_list_walks_in_updated_order(client: TestClient, url: str) -> None:
    items = _walk(client, url, {"updated_since": "2000-01-01T00:00:00Z", "limit": 100})
    stamps = [_instant(i["updated_at"]) for i in items]
    assert stamps == sorted(stamps)
    first = client.get(url, params={"updated_since": "2000-01-01T00:00:00Z", "limit": 1}).json()
    assert first["total"] == len(items)
    future = client.get(url, params={"updated_since": _stamp(_now() + timedelta(days=1))}).json()
    assert future == {"items": [], "total": 0, "next": None}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T08:00:00", "fuseau horaire obligatoire"),
        ("2026-12-01", "fuseau horaire obligatoire"),
        ("hier", "instant illisible"),
        ("2026-12-01T08:00:00 01:00", "%2B"),  # a "+" sent unencoded arrives as a space
        ("2026-13-01T08:00:00Z", "instant illisible"),
    ],
)
@pytest.mark.parametrize(("url", "param"), [(CASES, "updated_since"), (REMOVALS, "since")])
def test_bad_timestamps_get_a_clear_422(
    client: TestClient, url: str, param: str, value: str, expected: str
) -> None:
    response = client.get(url, params={param: value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["field"] == param
    assert expected in error["message"]


def test_offsets_other_than_utc_are_the_same_instant(client: TestClient) -> None:
    a = client.get(CASES, params={"updated_since": "2026-01-01T09:00:00+01:00", "limit": 5}).json()
    b = client.get(CASES, params={"updated_since": "2026-01-01T08:00:00Z", "limit": 5}).json()
    assert a == b


def test_bad_cursors_and_unknown_parameters_are_refused(client: TestClient) -> None:
    for cursor in ("nope", "WzEsMl0", "WyJ4IiwxXQ"):  # garbage, [1,2], ["x",1]
        response = client.get(CASES, params={"updated_since": "2026-01-01T00:00:00Z", "cursor": cursor})
        assert response.status_code == 422, response.text
    response = client.get(CASES, params={"updated_sinse": "2026-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert "vouliez-vous dire « updated_since »" in response.text
    response = client.get(REMOVALS, params={"updated_since": "2026-01-01T00:00:00Z"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "updated_since"
    assert "since" in response.json()["errors"][0]["message"].split(" : ")[-1].split(", ")


def test_a_walk_never_skips_or_repeats_while_items_change(
    client: TestClient, admin_headers: dict[str, str], session: Session
) -> None:
    start = _now()
    ids = [_create(client, admin_headers)["id"] for _ in range(12)]
    other_theme = session.scalar(select(Theme).where(Theme.slug == "open-data"))
    assert other_theme is not None
    seen: list[tuple[int, str]] = []
    cursor = None
    page_number = 0
    while True:
        params: dict[str, Any] = {"updated_since": _stamp(start), "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = client.get(CASES, params=params).json()
        seen.extend((i["id"], i["updated_at"]) for i in body["items"])
        cursor = body["next"]
        if cursor is None:
            break
        # Another writer changes one case already read and one not read yet, between two pages: its
        # own column, then only a collection (no UPDATE of the row), then only a child row.
        page_number += 1
        if page_number <= 3:
            read = {i for i, _ in seen}
            before = session.get(CaseStudy, next(i for i in ids if i in read))
            after = session.get(CaseStudy, next(i for i in reversed(ids) if i not in read))
            assert before is not None and after is not None
            if page_number == 1:
                before.summary += " Modifiée."
                after.summary += " Modifiée."
            elif page_number == 2:
                before.themes = [*before.themes, other_theme]
                after.themes = [other_theme]
            else:
                session.add(CaseLink(case_study_id=before.id, label="Doc", url="https://example.org/a"))
                session.add(CaseLink(case_study_id=after.id, label="Doc", url="https://example.org/b"))
            session.commit()
    assert len(seen) == len(set(seen)), "no version of an item comes twice"
    stamps = [_instant(s) for _, s in seen]
    assert stamps == sorted(stamps)
    assert {i for i, _ in seen} == set(ids), "no item skipped"
    session.expire_all()
    latest = {i: s for i, s in seen}
    for case_id in ids:
        case = session.get(CaseStudy, case_id)
        assert case is not None
        assert _instant(latest[case_id]) == case.updated_at.replace(tzinfo=case.updated_at.tzinfo or UTC)
    assert len(seen) > len(ids), "the cases changed mid-walk came again, with their new version"


def test_a_change_of_themes_alone_moves_updated_at(client: TestClient, admin_headers: dict[str, str]) -> None:
    case = _create(client, admin_headers)
    response = client.patch(f"{CASES}/{case['id']}", json={"themes": ["open-data"]}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert _instant(response.json()["updated_at"]) > _instant(case["updated_at"])


def test_removed_cases_are_in_the_feed_and_out_of_the_list(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    start = _now()
    archived, withdrawn, deleted = (_create(client, admin_headers) for _ in range(3))
    draft = _create(client, admin_headers, publication_state="draft")
    _transition(client, admin_headers, archived["id"], "archived")
    _transition(client, admin_headers, withdrawn["id"], "rejected")
    for case in (deleted, draft):
        assert client.delete(f"{CASES}/{case['id']}", headers=admin_headers).status_code == 204

    removals = _walk(client, REMOVALS, {"since": _stamp(start), "limit": 2})
    got = {(r["kind"], r["entity_id"], r["slug"], r["reason"]) for r in removals}
    assert got == {
        ("case-study", archived["id"], archived["slug"], "archived"),
        ("case-study", withdrawn["id"], withdrawn["slug"], "withdrawn"),
        ("case-study", deleted["id"], deleted["slug"], "deleted"),
    }, "a draft never published is not in the feed (its slug stays private)"
    stamps = [(_instant(r["removed_at"]), r["id"]) for r in removals]
    assert stamps == sorted(stamps)
    listed = {i["id"] for i in _walk(client, CASES, {"updated_since": _stamp(start), "limit": 100})}
    assert listed.isdisjoint({archived["id"], withdrawn["id"], deleted["id"], draft["id"]})
    only_cases = client.get(REMOVALS, params={"since": _stamp(start), "kind": "thread"}).json()
    assert only_cases["total"] == 0


MARGIN = timedelta(minutes=5)  # the recipe's overlap: a long write may commit with an earlier instant


class Mirror:
    """A partner's copy of the published cases, kept by the recipe of docs/api.md."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.items: dict[int, dict[str, Any]] = {}
        self.updated_since = "1970-01-01T00:00:00Z"
        self.removed_since = "1970-01-01T00:00:00Z"

    @staticmethod
    def _before(instant: str) -> str:
        return _stamp(_instant(instant) - MARGIN)

    def sync(self) -> None:
        since = self._before(self.updated_since)
        for item in _walk(self.client, CASES, {"updated_since": since, "limit": 100}):
            self.items[item["id"]] = item
            self.updated_since = item["updated_at"]
        since = self._before(self.removed_since)
        for removal in _walk(self.client, REMOVALS, {"since": since, "kind": "case-study", "limit": 100}):
            self.removed_since = removal["removed_at"]
            copy = self.items.get(removal["entity_id"])
            newer = copy is not None and _instant(copy["updated_at"]) > _instant(removal["removed_at"])
            if copy is not None and not newer:
                del self.items[removal["entity_id"]]


def test_a_mirror_following_the_recipe_equals_the_live_list(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    rng = random.Random(20)
    mirror = Mirror(client)
    mirror.sync()
    published: list[int] = []
    gone: list[int] = []  # archived or withdrawn, may come back
    for _ in range(40):
        action = rng.choice(["create", "create", "update", "update", "archive", "withdraw", "back", "delete"])
        if action == "create" or not published:
            published.append(_create(client, admin_headers)["id"])
        elif action == "update":
            case_id = rng.choice(published)
            patch = {"summary": f"Version {rng.randint(0, 10**6)} de l'expérience, relue par un partenaire."}
            response = client.patch(f"{CASES}/{case_id}", json=patch, headers=admin_headers)
            assert response.status_code == 200, response.text
        elif action in ("archive", "withdraw"):
            case_id = published.pop(rng.randrange(len(published)))
            _transition(client, admin_headers, case_id, "archived" if action == "archive" else "rejected")
            gone.append(case_id)
        elif action == "back" and gone:
            case_id = gone.pop(rng.randrange(len(gone)))
            state = client.get(f"{CASES}/{case_id}", headers=admin_headers).json()["publication_state"]
            if state == "rejected":
                _transition(client, admin_headers, case_id, "submitted")
            _transition(client, admin_headers, case_id, "published")
            published.append(case_id)
        elif action == "delete":
            case_id = published.pop(rng.randrange(len(published)))
            assert client.delete(f"{CASES}/{case_id}", headers=admin_headers).status_code == 204
        if rng.random() < 0.3:
            mirror.sync()
    mirror.sync()
    live = {i["id"]: i for i in _walk(client, CASES, {"limit": 100})}
    assert mirror.items == live


def test_a_collection_made_unlisted_is_removed_and_its_items_move_updated_at(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    case = _create(client, admin_headers)
    body: dict[str, Any] = {"title": f"Sélection miroir {uuid.uuid4().hex[:6]}", "visibility": "public"}
    created = client.post("/api/v1/collections", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    slug, first = created.json()["slug"], _instant(created.json()["updated_at"])
    with_item = client.put(
        f"/api/v1/collections/{slug}",
        json={**body, "items": [{"case_study_id": case["id"]}]},
        headers=admin_headers,
    )
    assert with_item.status_code == 200, with_item.text
    assert _instant(with_item.json()["updated_at"]) > first
    start = _now()
    hidden = client.put(
        f"/api/v1/collections/{slug}", json={**body, "visibility": "unlisted"}, headers=admin_headers
    )
    assert hidden.status_code == 200, hidden.text
    removals = client.get(REMOVALS, params={"since": _stamp(start), "kind": "collection"}).json()["items"]
    assert [(r["slug"], r["reason"]) for r in removals] == [(slug, "unlisted")]
    listed = _walk(client, "/api/v1/collections", {"updated_since": _stamp(start)})
    assert slug not in {c["slug"] for c in listed}


def test_an_attendee_moves_the_event_and_a_hidden_thread_is_removed(
    client: TestClient, people: Any, session: Session
) -> None:
    from service.discussions.models import Thread

    events = _walk(client, "/api/v1/events", {"updated_since": "2000-01-01T00:00:00Z", "limit": 100})
    event = events[0]
    headers = {"Authorization": f"Bearer {people.member.api_key}"}
    assert client.put(f"/api/v1/events/{event['id']}/attendance", headers=headers).status_code == 200
    moved = client.get(f"/api/v1/events/{event['id']}").json()
    assert _instant(moved["updated_at"]) > _instant(event["updated_at"])
    assert moved["attendees"] == event["attendees"] + 1

    opened = client.post(
        "/api/v1/threads",
        json={
            "title": "Qui recopie Retex ?",
            "body": "Nous tenons un miroir des expériences.",
            "theme": "open-data",
        },
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    start = _now()
    thread = session.get(Thread, opened.json()["id"])
    assert thread is not None
    thread.is_hidden = True
    session.commit()
    removals = client.get(REMOVALS, params={"since": _stamp(start)}).json()["items"]
    assert [(r["kind"], r["entity_id"], r["reason"]) for r in removals] == [("thread", thread.id, "hidden")]
    thread.is_hidden = False  # leave the shared database as it was
    session.commit()
