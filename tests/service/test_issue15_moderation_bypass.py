"""Issue 15, part 2: moderation cannot be bypassed. One regression test per finding, named after it."""

from __future__ import annotations

import uuid

import feedparser
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.engine import make_session_factory
from tests.conftest import People
from tests.service.discussions_kit import THEME, Kit, new_post, new_thread
from tests.web.conftest import csrf_from, log_in


def _draft_of(engine: Engine, org_id: int) -> CaseStudy:
    tag = uuid.uuid4().hex[:10]
    with make_session_factory(engine)() as db:
        case = CaseStudy(
            slug=f"brouillon-secret-{tag}",
            title=f"Brouillon confidentiel {tag}",
            summary="Un brouillon qui ne regarde que son organisation.",
            status=ProjectStatus.idea,
            publication_state=PublicationState.draft,
            organisation_id=org_id,
        )
        db.add(case)
        db.commit()
        db.refresh(case)
        db.expunge(case)
        return case


def test_finding3_preview_does_not_reveal_another_organisations_draft(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    """POST /publier/apercu with the case_id of another organisation's draft shows nothing of it."""
    draft = _draft_of(seeded_engine, people.org_id)
    log_in(client, people.outsider)
    token = csrf_from(client.get("/publier").text)
    response = client.post(
        "/publier/apercu",
        data={"csrf_token": token, "case_id": str(draft.id), "preview": "context", "context": "*a*"},
    )
    assert response.status_code < 500
    assert draft.title not in response.text and draft.slug not in response.text
    # its own members still get the case being edited around the preview
    log_in(client, people.member)
    token = csrf_from(client.get("/publier").text)
    own = client.post(
        "/publier/apercu",
        data={"csrf_token": token, "case_id": str(draft.id), "preview": "context", "context": "*a*"},
    )
    assert own.status_code == 200 and draft.slug in own.text


def test_finding4_hidden_post_leaves_the_theme_discussions_feed(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    """A post hidden by moderators (or auto-hidden after 3 reports) is in no feed, export or index text."""
    kit = Kit(seeded_engine)
    writer = kit.member("Noé", org_id=people.org_id)
    secret = f"lien-hameconnage-{uuid.uuid4().hex[:8]}"
    thread = new_thread(client, writer, body=f"Cliquez ici : https://{secret}.example")
    post = new_post(client, writer, thread["id"], f"Et encore https://{secret}.example")
    url = f"/api/v1/feeds/themes/{THEME}/discussions.atom"
    assert secret in client.get(url).text  # visible before moderation: the test can fail
    first = client.get(f"/api/v1/threads/{thread['id']}/posts", headers=writer.headers).json()["items"][0]
    for post_id in (first["id"], post["id"]):
        hidden = client.post(
            f"/api/v1/posts/{post_id}/moderation",
            json={"hidden": True, "reason": "Hameçonnage"},
            headers=people.headers("moderator"),
        )
        assert hidden.status_code == 200, hidden.text
    body = client.get(url).content
    assert secret.encode() not in body
    feed = feedparser.parse(body)
    entry = next(e for e in feed.entries if e.link.endswith(f"/discussions/{thread['id']}"))
    assert entry.summary == thread["title"]  # nothing visible left to quote: the title stands in
    assert secret not in client.get(f"/api/v1/feeds/threads/{thread['id']}.atom").text


def test_low_report_redirect_does_not_reveal_the_thread_of_a_private_post(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    """Reporting a post of a private thread one cannot read answers 404 whatever the reason sent,
    never a redirect naming the thread."""
    kit = Kit(seeded_engine)
    asker = kit.member("Ada", org_id=people.other_org_id)
    case = kit.published_case(org_id=people.org_id)
    private = client.post(
        f"/api/v1/case-studies/{case.id}/contact",
        json={"title": "Question privée", "body": "Bonjour l'équipe"},
        headers=asker.headers,
    )
    assert private.status_code == 201, private.text
    thread_id = private.json()["id"]
    post_id = client.get(f"/api/v1/threads/{thread_id}/posts", headers=asker.headers).json()["items"][0]["id"]
    log_in(client, people.outsider)  # neither the asker's organisation nor the case's
    token = csrf_from(client.get("/compte").text)
    for reason in ("", "spam évident ici"):
        response = client.post(
            f"/discussions/messages/{post_id}/signaler",
            data={"csrf_token": token, "reason": reason},
            follow_redirects=False,
        )
        assert response.status_code == 404, (reason, response.status_code, response.headers)
        assert f"/discussions/{thread_id}" not in response.headers.get("location", "")
    api = client.post(
        "/api/v1/reports",
        json={"target_type": "post", "target_id": post_id, "reason": ""},
        headers=people.headers("outsider"),
    )
    assert api.status_code in (404, 422) and f"/discussions/{thread_id}" not in api.text
