"""Editing and deleting one's own posts (with history), moderators hiding and restoring, and reports by
members hiding a post until a moderator decides."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from service.discussions.models import PostRevision
from service.moderation.reports import PENDING_REVIEW
from tests.service.discussions_kit import Kit, Member, new_post, new_thread
from tests.support.people import People


@pytest.fixture
def kit(seeded_engine: Engine) -> Kit:
    return Kit(seeded_engine)


def _revisions(kit: Kit, post_id: int) -> list[str]:
    with kit.factory() as db:
        return list(
            db.scalars(
                select(PostRevision.body).where(PostRevision.post_id == post_id).order_by(PostRevision.id)
            )
        )


def _post_as_seen(
    client: TestClient, thread_id: int, post_id: int, who: Member | None = None
) -> dict[str, Any]:
    page = client.get(
        f"/api/v1/threads/{thread_id}/posts", params={"limit": 100}, headers=who.headers if who else {}
    )
    assert page.status_code == 200, page.text
    (post,) = [p for p in page.json()["items"] if p["id"] == post_id]
    return dict(post)


def test_author_edits_with_history_and_others_cannot(client: TestClient, kit: Kit, people: People) -> None:
    author = kit.member("Alix", org_id=people.org_id)
    other = kit.member("Basile", org_id=people.org_id)
    thread = new_thread(client, author)
    post = new_post(client, author, thread["id"], "Nous avons mis six mois.")
    assert post["edited"] is False

    edited = client.patch(
        f"/api/v1/posts/{post['id']}", json={"body": "Nous avons mis huit mois."}, headers=author.headers
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["edited"] is True
    assert _post_as_seen(client, thread["id"], post["id"])["body"] == "Nous avons mis huit mois."
    assert _revisions(kit, post["id"]) == ["Nous avons mis six mois."]

    for attempt in (
        lambda: client.patch(f"/api/v1/posts/{post['id']}", json={"body": "Piraté"}, headers=other.headers),
        lambda: client.delete(f"/api/v1/posts/{post['id']}", headers=other.headers),
        lambda: client.patch(
            f"/api/v1/posts/{post['id']}", json={"body": "Piraté"}, headers=people.headers("moderator")
        ),
    ):
        refused = attempt()
        assert refused.status_code == 403, refused.text
        assert "vos propres messages" in refused.json()["detail"]
    anonymous = client.patch(f"/api/v1/posts/{post['id']}", json={"body": "Piraté"})
    assert anonymous.status_code == 401
    assert _post_as_seen(client, thread["id"], post["id"])["body"] == "Nous avons mis huit mois."
    assert _revisions(kit, post["id"]) == ["Nous avons mis six mois."]

    empty = client.patch(f"/api/v1/posts/{post['id']}", json={"body": "  "}, headers=author.headers)
    assert empty.status_code == 422
    assert _revisions(kit, post["id"]) == ["Nous avons mis six mois."]


def test_delete_is_soft_and_keeps_the_text_for_moderators(
    client: TestClient, kit: Kit, people: People
) -> None:
    author = kit.member("Alix", org_id=people.org_id)
    thread = new_thread(client, author)
    post = new_post(client, author, thread["id"], "Mon numéro est le 06 00 00 00 00.")

    assert client.delete(f"/api/v1/posts/{post['id']}", headers=author.headers).status_code == 204

    seen = _post_as_seen(client, thread["id"], post["id"])
    assert (seen["body"], seen["deleted"]) == ("", True)
    assert _revisions(kit, post["id"]) == ["Mon numéro est le 06 00 00 00 00."]
    again = client.patch(f"/api/v1/posts/{post['id']}", json={"body": "Retour"}, headers=author.headers)
    assert again.status_code == 404
    assert client.delete(f"/api/v1/posts/{post['id']}", headers=author.headers).status_code == 404


def test_moderators_hide_with_a_reason_and_restore(client: TestClient, kit: Kit, people: People) -> None:
    author = kit.member("Alix", org_id=people.org_id)
    thread = new_thread(client, author)
    post = new_post(client, author, thread["id"], "Un propos déplacé.")
    url = f"/api/v1/posts/{post['id']}/moderation"

    assert (
        client.post(url, json={"hidden": True, "reason": "Hors sujet"}, headers=author.headers).status_code
        == 403
    )
    # Without a reason, the post shows a default one.
    no_reason = client.post(url, json={"hidden": True, "reason": " "}, headers=people.headers("moderator"))
    assert no_reason.status_code == 200 and no_reason.json()["hidden_reason"] == "Masqué par la modération."
    restored = client.post(url, json={"hidden": False}, headers=people.headers("moderator"))
    assert restored.status_code == 200 and restored.json()["hidden"] is False

    hidden = client.post(
        url, json={"hidden": True, "reason": "Propos injurieux"}, headers=people.headers("moderator")
    )
    assert hidden.status_code == 200, hidden.text
    seen = _post_as_seen(client, thread["id"], post["id"], author)
    assert (seen["hidden"], seen["body"], seen["hidden_reason"]) == (True, "", "Propos injurieux")

    restored = client.post(url, json={"hidden": False}, headers=people.headers("moderator"))
    assert restored.status_code == 200, restored.text
    seen = _post_as_seen(client, thread["id"], post["id"])
    assert (seen["hidden"], seen["body"], seen["hidden_reason"]) == (False, "Un propos déplacé.", None)


def _report(client: TestClient, who: Member, post_id: int) -> Any:
    return client.post(
        "/api/v1/reports",
        json={"target_type": "post", "target_id": post_id, "reason": "Propos insultants envers un agent"},
        headers=who.headers,
    )


def test_three_distinct_reports_hide_a_post_until_a_moderator_dismisses(
    client: TestClient, kit: Kit, people: People
) -> None:
    author = kit.member("Alix", org_id=people.org_id)
    thread = new_thread(client, author)
    post = new_post(client, author, thread["id"], "Un message contesté.")
    first, second, third = (kit.member(name, org_id=people.other_org_id) for name in ("Aya", "Bao", "Cyd"))

    reports = [_report(client, first, post["id"]), _report(client, second, post["id"])]
    assert [r.status_code for r in reports] == [201, 201]
    twice = _report(client, second, post["id"])
    assert twice.status_code == 409, "the same member reporting again does not count twice"
    assert _post_as_seen(client, thread["id"], post["id"])["hidden"] is False

    reports.append(_report(client, third, post["id"]))
    assert reports[-1].status_code == 201
    seen = _post_as_seen(client, thread["id"], post["id"])
    assert (seen["hidden"], seen["body"], seen["hidden_reason"]) == (True, "", PENDING_REVIEW)

    dismissed = client.post(
        f"/api/v1/reports/{reports[0].json()['id']}/resolution",
        json={"decision": "dismissed", "note": "Rien de contraire à la charte."},
        headers=people.headers("moderator"),
    )
    assert dismissed.status_code == 200, dismissed.text
    seen = _post_as_seen(client, thread["id"], post["id"])
    assert (seen["hidden"], seen["body"]) == (False, "Un message contesté.")
