"""An author's workspace without dead ends (no browser): « Mes expériences », the workflow's buttons on the
case page, notices written for their reader, every form error in one round, link messages that say what is
wrong, and deleting a thread nobody answered."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from service.discussions.models import Post, Thread
from service.indexjobs.models import IndexJob, IndexKind
from tests.support.people import People, Person
from tests.support.web import csrf_from, drain, log_in


def _other(client: TestClient, person: Person) -> TestClient:
    """A second browser (the `admin_client` fixture would log this test's `client` in as the admin)."""
    other = TestClient(client.app)
    log_in(other, person)
    return other


def _draft(client: TestClient, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "csrf_token": csrf_from(client.get("/publier").text),
        "title": f"Prêt de tablettes aux aînés {uuid.uuid4().hex[:6]}",
        "summary": "Des tablettes prêtées par la médiathèque, avec un atelier d'initiation.",
        "status": "pilot",
        "licence": "etalab-2.0",
        "action": "draft",
    }
    data.update(fields)
    return client.post("/publier", data=data, follow_redirects=False)


def _move(client: TestClient, slug: str, to: str, **extra: str) -> Any:
    token = csrf_from(client.get(f"/experiences/{slug}").text)
    return client.post(
        f"/experiences/{slug}/etat", data={"csrf_token": token, "vers": to, **extra}, follow_redirects=False
    )


def _state(session: Session, slug: str) -> PublicationState:
    session.expire_all()
    case = session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    assert case is not None
    return case.publication_state


def _section_of(html: str, title: str) -> str:
    """The workspace section whose heading starts with `title` (up to the next section)."""
    start = html.index(f">{title}")
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_a_member_finds_submits_withdraws_and_archives_their_case(
    client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.member)
    admin_client = _other(client, people.admin)
    saved = _draft(client)
    assert saved.status_code == 303
    slug = saved.headers["location"].removeprefix("/experiences/")
    title = session.scalar(select(CaseStudy.title).where(CaseStudy.slug == slug))
    assert title

    home = client.get("/")
    assert 'href="/mes-experiences"' in home.text  # in the account menu of every page
    workspace = client.get("/mes-experiences")
    assert workspace.status_code == 200
    drafts = _section_of(workspace.text, "Brouillons")
    assert title in drafts and "Soumettre pour relecture" in drafts and "À faire" in drafts

    page = client.get(f"/experiences/{slug}").text
    assert "administrateurs" not in page  # the notice speaks to its author
    assert "visible que de vous" in page and 'name="vers" value="submitted"' in page

    assert _move(client, slug, "submitted").headers["location"] == f"/experiences/{slug}?etat=submitted"
    assert _state(session, slug) is PublicationState.submitted
    submitted = _section_of(client.get("/mes-experiences").text, "Soumises")
    assert title in submitted and "Retirer de la relecture" in submitted

    back = _move(client, slug, "draft", retour="mes-experiences")
    assert back.headers["location"] == "/mes-experiences?etat=draft"
    assert _state(session, slug) is PublicationState.draft
    assert "Expérience revenue en brouillon" in client.get(back.headers["location"]).text

    # A member cannot publish their own case, nor restore an archived one: the workflow's rules.
    assert _move(client, slug, "published").status_code == 403
    _move(client, slug, "submitted")
    assert _move(admin_client, slug, "published").status_code == 303
    assert _move(client, slug, "archived").status_code == 303
    assert _state(session, slug) is PublicationState.archived
    assert title in _section_of(client.get("/mes-experiences").text, "Archivées")
    assert _move(client, slug, "published").status_code == 403  # restoring is the moderators'
    restored = _move(admin_client, slug, "published")
    assert restored.status_code == 303 and _state(session, slug) is PublicationState.published


def test_moves_refuse_strangers_and_unknown_states(
    client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.member)
    slug = _draft(client).headers["location"].removeprefix("/experiences/")
    bad = _move(client, slug, "rejected")  # only a moderator rejects, with a reason
    assert bad.status_code == 422 and "choisissez brouillon" in bad.text
    assert _move(client, slug, "draft").status_code == 409  # already a draft: said in French
    stranger = _other(client, people.outsider)
    token = csrf_from(stranger.get("/compte").text)
    refused = stranger.post(f"/experiences/{slug}/etat", data={"csrf_token": token, "vers": "submitted"})
    assert refused.status_code == 404  # someone else's draft does not exist for them
    assert _state(session, slug) is PublicationState.draft


def test_the_workspace_needs_a_login(client: TestClient) -> None:
    response = client.get("/mes-experiences", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?suivant=/mes-experiences"


def test_every_form_error_comes_in_one_round(client: TestClient, people: People, session: Session) -> None:
    log_in(client, people.member)
    before = session.scalar(select(CaseStudy.id).order_by(CaseStudy.id.desc()).limit(1))
    response = _draft(client, summary="", territory_codes="83103, 99999", links="Site | www.exemple.fr")
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', response.text, re.S)
    assert summary is not None
    errors = summary.group(0)
    for expected in ("Résumé", "Territoires concernés", "99999", "Liens"):
        assert expected in errors
    assert "doit commencer par https://" in errors
    session.expire_all()
    assert session.scalar(select(CaseStudy.id).order_by(CaseStudy.id.desc()).limit(1)) == before


def test_a_valid_https_link_is_accepted_and_a_broken_one_is_named(
    client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.member)
    ok = _draft(client, links="Délibération : https://exemple.fr/deliberation?id=1|2")
    assert ok.status_code == 303, ok.text[:500]
    case = session.scalar(
        select(CaseStudy).where(CaseStudy.slug == ok.headers["location"].removeprefix("/experiences/"))
    )
    assert case is not None and [(link.label, link.url) for link in case.links] == [
        ("Délibération", "https://exemple.fr/deliberation?id=1|2")
    ]
    broken = _draft(client, links="Site | https:// exemple.fr")
    assert broken.status_code == 422
    assert "n&#39;est pas valide" in broken.text and "doit commencer par" not in broken.text


def _thread(client: TestClient, title: str) -> int:
    token = csrf_from(client.get("/discussions").text)
    response = client.post(
        "/discussions",
        data={"csrf_token": token, "title": title, "body": "Comment avez-vous fait ?", "theme": "open-data"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    return int(response.headers["location"].rsplit("/", 1)[1])


def _delete_thread(client: TestClient, thread_id: int) -> Any:
    token = csrf_from(client.get("/compte").text)
    path = f"/discussions/{thread_id}/supprimer"
    return client.post(path, data={"csrf_token": token}, follow_redirects=False)


def test_a_thread_nobody_answered_is_deleted_by_its_author(
    app: FastAPI, client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.member)
    title = f"Question à supprimer {uuid.uuid4().hex[:6]}"
    thread_id = _thread(client, title)
    assert "Supprimer cette discussion" in client.get(f"/discussions/{thread_id}").text
    assert title in client.get("/discussions").text
    drain(app)
    response = _delete_thread(client, thread_id)
    assert response.status_code == 303 and response.headers["location"] == "/discussions?discussion=supprimee"
    session.expire_all()
    assert session.get(Thread, thread_id) is None
    assert not session.scalars(select(Post).where(Post.thread_id == thread_id)).all()
    jobs = session.scalars(
        select(IndexJob).where(IndexJob.kind == IndexKind.thread, IndexJob.entity_id == thread_id)
    ).all()
    assert jobs, "the deletion is queued for the index through the outbox"
    listing = client.get(response.headers["location"]).text
    assert title not in listing and "La discussion est supprimée" in listing
    assert client.get(f"/discussions/{thread_id}").status_code == 404


def test_once_answered_only_moderators_delete_a_thread(
    client: TestClient, people: People, session: Session
) -> None:
    log_in(client, people.member)
    thread_id = _thread(client, f"Question avec réponse {uuid.uuid4().hex[:6]}")
    other = _other(client, people.outsider)
    token = csrf_from(other.get(f"/discussions/{thread_id}").text)
    other.post(f"/discussions/{thread_id}/reponses", data={"csrf_token": token, "body": "Nous aussi !"})
    assert "Supprimer cette discussion" not in client.get(f"/discussions/{thread_id}").text
    refused = _delete_thread(client, thread_id)
    assert refused.status_code == 403 and "seuls les modérateurs" in refused.text
    assert _delete_thread(other, thread_id).status_code == 403  # a replier is not its author
    assert _delete_thread(_other(client, people.moderator), thread_id).status_code == 303
    session.expire_all()
    assert session.get(Thread, thread_id) is None
