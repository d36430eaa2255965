"""@mentions notify the members they name, only if those may read the thread, and never tell the
writer whether a handle belongs to someone."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.service.discussions_kit import Kit, new_post, new_thread
from tests.support.people import People


@pytest.fixture
def kit(seeded_engine: Engine) -> Kit:
    return Kit(seeded_engine)


def test_a_mention_notifies_the_verified_member_named(client: TestClient, kit: Kit, people: People) -> None:
    writer = kit.member("Alix", org_id=people.org_id)
    named = kit.member("Claire", org_id=people.other_org_id)
    bystander = kit.member("Claire", org_id=people.other_org_id)  # same first name, other handle
    thread = new_thread(client, writer)

    post = new_post(client, writer, thread["id"], f"Bonne question, @{named.handle} a fait la même chose.")

    notes = kit.notifications(named.user_id)
    assert [(n.kind, n.post_id) for n in notes] == [("mention", post["id"])]
    assert writer.display_name in notes[0].text
    assert notes[0].url.endswith(f"#message-{post['id']}")
    assert kit.notifications(bystander.user_id) == []
    assert kit.notifications(writer.user_id) == [], "nobody is notified of their own post"


def test_unknown_unverified_or_self_mentions_notify_nobody(
    client: TestClient, kit: Kit, people: People
) -> None:
    writer = kit.member("Alix", org_id=people.org_id)
    unverified = kit.member("Basile", org_id=people.org_id, verified=False)
    thread = new_thread(client, writer)
    before = kit.counts()

    new_post(
        client,
        writer,
        thread["id"],
        f"Je pense à @personne-inconnue-{unverified.handle}, à @{unverified.handle} et à @{writer.handle}.",
    )

    after = kit.counts()
    assert after["notifications"] == before["notifications"]
    assert after["emails"] == before["emails"]
    assert kit.notifications(unverified.user_id) == []


def test_a_mention_in_a_private_thread_skips_who_cannot_read_it(
    client: TestClient, kit: Kit, people: People
) -> None:
    case = kit.published_case(org_id=people.org_id)
    asker = kit.member("Alix", org_id=people.other_org_id)
    colleague = kit.member("Dana", org_id=people.other_org_id)  # the asker's colleague: not in the team
    teammate = kit.member("Eli", org_id=people.org_id)
    created = client.post(
        f"/api/v1/case-studies/{case.id}/contact",
        json={"title": "Question privée sur votre marché", "body": "Bonjour, pouvons-nous échanger ?"},
        headers=asker.headers,
    )
    assert created.status_code == 201, created.text
    thread_id = created.json()["id"]

    post = new_post(
        client, asker, thread_id, f"J'ajoute @{colleague.handle} et @{teammate.handle} à la conversation."
    )

    assert kit.notifications(colleague.user_id) == [], "a mention must not open a private thread"
    assert ("mention", post["id"]) in [(n.kind, n.post_id) for n in kit.notifications(teammate.user_id)]


def _without_ids(response: Any, handle: str) -> tuple[int, dict[str, Any], list[str]]:
    data = dict(response.json())
    for volatile in ("id", "created_at"):
        data.pop(volatile)
    data["body"] = data["body"].replace(handle, "HANDLE")
    headers = sorted(h for h in response.headers if h.lower() not in ("date", "content-length"))
    return response.status_code, data, headers


def test_the_response_does_not_reveal_whether_a_handle_exists(
    client: TestClient, kit: Kit, people: People
) -> None:
    writer = kit.member("Alix", org_id=people.org_id)
    real = kit.member("Fanny", org_id=people.org_id)
    fake = real.handle[::-1] + "-x"
    thread = new_thread(client, writer)
    url = f"/api/v1/threads/{thread['id']}/posts"

    to_real = client.post(url, json={"body": f"Merci @{real.handle} !"}, headers=writer.headers)
    to_nobody = client.post(url, json={"body": f"Merci @{fake} !"}, headers=writer.headers)

    assert _without_ids(to_real, real.handle) == _without_ids(to_nobody, fake)
    assert len(kit.notifications(real.user_id)) == 1
