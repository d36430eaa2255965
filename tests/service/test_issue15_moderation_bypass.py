"""Issue 15, part 2: moderation cannot be bypassed. One regression test per finding, named after it."""

from __future__ import annotations

import uuid

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from service.casestudies.models import CaseStudy, ProjectStatus, PublicationState
from service.db.base import utcnow
from service.db.engine import make_session_factory
from service.emails.models import Email
from service.indexjobs.models import IndexJob, IndexKind
from service.moderation import revisions
from service.moderation.models import CaseRevision, RevisionStatus
from tests.service.discussions_kit import THEME, Kit, new_post, new_thread
from tests.support.people import People
from tests.support.web import csrf_from, log_in


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


def _published_case(engine: Engine, org_id: int, summary: str) -> CaseStudy:
    tag = uuid.uuid4().hex[:10]
    with make_session_factory(engine)() as db:
        case = CaseStudy(
            slug=f"publiee-{tag}",
            title=f"Portail publié {tag}",
            summary=summary,
            context="Le contexte publié.\nDeuxième ligne.",
            status=ProjectStatus.deployed,
            publication_state=PublicationState.published,
            published_at=utcnow(),
            organisation_id=org_id,
        )
        db.add(case)
        db.commit()
        db.refresh(case)
        db.expunge(case)
        return case


def _index_jobs(engine: Engine, case_id: int) -> int:
    with make_session_factory(engine)() as db:
        return (
            db.scalar(
                select(func.count(IndexJob.id)).where(
                    IndexJob.kind == IndexKind.case, IndexJob.entity_id == case_id
                )
            )
            or 0
        )


def test_finding5_member_edit_of_a_published_case_waits_for_review(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    """A member's edit of a published case (a phishing link in the summary and links) is a pending
    revision: readers keep the published text everywhere until a moderator approves it; it is in the
    history; the authors see their pending version; the API says which version it returns."""
    published = f"Résumé publié {uuid.uuid4().hex[:6]}"
    case = _published_case(seeded_engine, people.org_id, published)
    phishing = f"Résumé piégé {uuid.uuid4().hex[:6]}"
    jobs_before = _index_jobs(seeded_engine, case.id)
    edited = client.patch(
        f"/api/v1/case-studies/{case.id}",
        json={"summary": phishing, "links": [{"label": "Connexion", "url": "https://hameconnage.example/"}]},
        headers=people.headers("member"),
    )
    assert edited.status_code == 200, edited.text
    assert client.get(f"/api/v1/case-studies/{case.id}").json()["summary"] == published  # not live
    assert edited.json()["version"] == "pending" and edited.json()["summary"] == phishing
    revision_id = edited.json()["pending_revision_id"]
    assert revision_id

    # readers: API, page, exports, feeds and the search index keep the published text
    read = client.get(f"/api/v1/case-studies/{case.id}").json()
    assert (read["summary"], read["version"], read["pending_revision_id"]) == (published, "published", None)
    assert client.get(f"/api/v1/case-studies/{case.id}?version=pending").status_code == 404
    for url in (
        f"/experiences/{case.slug}",
        "/api/v1/exports/case-studies.jsonl",
        "/api/v1/exports/case-studies.csv",
        "/api/v1/feeds/case-studies.atom",
    ):
        body = client.get(url).text
        assert phishing not in body and "hameconnage.example" not in body, url
    assert published in client.get(f"/experiences/{case.slug}").text
    assert _index_jobs(seeded_engine, case.id) == jobs_before  # nothing new for the index to read

    # the authors see their pending version (API and page); another organisation does not
    mine = client.get(f"/api/v1/case-studies/{case.id}", headers=people.headers("org_admin")).json()
    assert (mine["summary"], mine["pending_revision_id"]) == (published, revision_id)
    pending = client.get(f"/api/v1/case-studies/{case.id}?version=pending", headers=people.headers("member"))
    assert pending.json()["version"] == "pending" and pending.json()["summary"] == phishing
    assert pending.json()["links"] == [{"label": "Connexion", "url": "https://hameconnage.example/"}]
    outsider = client.get(
        f"/api/v1/case-studies/{case.id}?version=pending", headers=people.headers("outsider")
    )
    assert outsider.status_code == 404
    log_in(client, people.member)
    page = client.get(f"/experiences/{case.slug}").text
    assert "votre modification attend la relecture" in page.lower()
    assert "<ins>piégé</ins>" in page and phishing.split()[-1] in page  # the diff of their pending version
    client.cookies.clear()

    # the moderators' queue; a member cannot approve; a rejection needs a reason
    queue: list[dict] = []  # every page: other tests of the session leave revisions pending too
    url: str | None = "/api/v1/moderation/revisions"
    while url:
        page_json = client.get(url, headers=people.headers("moderator")).json()
        queue += page_json["items"]
        url = f"/api/v1/moderation/revisions?cursor={page_json['next']}" if page_json["next"] else None
    assert any(r["id"] == revision_id and r["changes"]["summary"] == phishing for r in queue)
    decision = f"/api/v1/case-studies/{case.id}/revisions/{revision_id}/decision"
    assert (
        client.post(decision, json={"decision": "approved"}, headers=people.headers("member")).status_code
        == 403
    )
    no_reason = client.post(decision, json={"decision": "rejected"}, headers=people.headers("moderator"))
    assert no_reason.status_code == 422
    rejected = client.post(
        decision,
        json={"decision": "rejected", "reason": "Ce lien mène à un site d'hameçonnage."},
        headers=people.headers("moderator"),
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert client.get(f"/api/v1/case-studies/{case.id}").json()["summary"] == published
    again = client.post(decision, json={"decision": "approved"}, headers=people.headers("moderator"))
    assert again.status_code == 409

    # a correct edit, approved: then it reaches readers (and the index)
    better = f"Résumé corrigé {uuid.uuid4().hex[:6]}"
    second = client.patch(
        f"/api/v1/case-studies/{case.id}", json={"summary": better}, headers=people.headers("org_admin")
    ).json()
    approved = client.post(
        f"/api/v1/case-studies/{case.id}/revisions/{second['pending_revision_id']}/decision",
        json={"decision": "approved"},
        headers=people.headers("moderator"),
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    read = client.get(f"/api/v1/case-studies/{case.id}").json()
    assert (read["summary"], read["version"]) == (better, "published")
    assert read["links"] == []  # the rejected revision's link never went online
    assert _index_jobs(seeded_engine, case.id) > jobs_before

    # every edit is in the history; the authors were e-mailed both decisions
    history = client.get(f"/api/v1/case-studies/{case.id}/history", headers=people.headers("member")).json()
    events = [h["event"] for h in history["items"]]
    assert events == ["revision_proposed", "revision_rejected", "revision_proposed", "revision_approved"]
    assert history["items"][1]["reason"] == "Ce lien mène à un site d'hameçonnage."
    with make_session_factory(seeded_engine)() as db:
        kinds = set(
            db.scalars(
                select(Email.kind).where(
                    Email.to_address == people.member.email, Email.body.contains(case.title)
                )
            )
        )
    assert {"case_revision_rejected", "case_revision_approved"} <= kinds
    exported = client.get("/api/v1/me/export", headers=people.headers("member")).json()  # GDPR: their edits
    assert [e["status"] for e in exported["case_edits"] if e["case_study_id"] == case.id] == ["rejected"]


def test_administrators_edit_published_cases_at_once_and_it_is_recorded(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    case = _published_case(seeded_engine, people.org_id, "Résumé d'origine, publié.")
    edited = client.patch(
        f"/api/v1/case-studies/{case.id}",
        json={"summary": "Résumé corrigé par la modération."},
        headers=people.headers("admin"),
    )
    assert edited.status_code == 200 and edited.json()["version"] == "published"
    assert (
        client.get(f"/api/v1/case-studies/{case.id}").json()["summary"] == "Résumé corrigé par la modération."
    )
    revisions = client.get(
        f"/api/v1/case-studies/{case.id}/revisions", headers=people.headers("member")
    ).json()
    [applied] = revisions["items"]
    assert applied["status"] == "applied" and applied["previous"] == {"summary": "Résumé d'origine, publié."}
    history = client.get(f"/api/v1/case-studies/{case.id}/history", headers=people.headers("member")).json()
    assert [h["event"] for h in history["items"]] == ["edit"]


def test_the_edit_form_of_a_published_case_keeps_the_pending_version(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    """The web form: a member's save of a published case waits for review; the form then reopens on the
    pending version; the moderator sees an escaped side-by-side diff and approves it."""
    case = _published_case(seeded_engine, people.org_id, "Résumé publié du formulaire.")
    log_in(client, people.member)
    form_page = client.get(f"/experiences/{case.slug}/modifier").text
    assert "seront relues par les modérateurs" in form_page
    token = csrf_from(form_page)
    saved = client.post(
        f"/experiences/{case.slug}/modifier",
        data={
            "csrf_token": token,
            "title": case.title,
            "summary": "Résumé <script>alert(1)</script> proposé.",
            "context": "Le contexte publié.\nDeuxième ligne modifiée.",
            "status": "deployed",
            "licence": "etalab-2.0",
            "organisation_id": str(people.org_id),
            "action": "draft",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?modification=attente")
    assert "Deuxième ligne modifiée." in client.get(f"/experiences/{case.slug}/modifier").text
    client.cookies.clear()
    public = client.get(f"/experiences/{case.slug}").text  # readers keep the published text
    assert "Deuxième ligne modifiée" not in public and "alert(1)" not in public
    log_in(client, people.moderator)
    assert (
        "Une modification de cette expérience attend la relecture"
        in client.get(f"/experiences/{case.slug}").text
    )
    moderation = client.get("/moderation").text
    assert (
        "<script>alert(1)</script>" not in moderation
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in moderation
    )
    assert "Deuxième <ins>ligne modifiée.</ins>" in moderation and "Version publiée" in moderation
    with make_session_factory(seeded_engine)() as db:
        revision_id = db.scalar(
            select(CaseRevision.id).where(
                CaseRevision.case_study_id == case.id, CaseRevision.status == RevisionStatus.pending
            )
        )
    token = csrf_from(moderation)
    refused = client.post(
        f"/moderation/modifications/{revision_id}", data={"csrf_token": token, "decision": "refuser"}
    )
    assert refused.status_code == 422 and "expliquez le refus" in refused.text
    approved = client.post(
        f"/moderation/modifications/{revision_id}",
        data={"csrf_token": token, "decision": "approuver"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    client.cookies.clear()
    assert "Deuxième ligne modifiée." in client.get(f"/experiences/{case.slug}").text


def test_a_second_edit_builds_on_the_pending_version_and_replaces_it(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    case = _published_case(seeded_engine, people.org_id, "Résumé publié avant deux modifications.")
    url = f"/api/v1/case-studies/{case.id}"
    first = client.patch(url, json={"summary": "Résumé revu."}, headers=people.headers("member")).json()
    second = client.patch(url, json={"title": "Titre revu"}, headers=people.headers("org_admin")).json()
    assert (second["version"], second["summary"], second["title"]) == (
        "pending",
        "Résumé revu.",
        "Titre revu",
    )
    same = client.patch(url, json={"title": "Titre revu"}, headers=people.headers("org_admin")).json()
    assert same["pending_revision_id"] == second["pending_revision_id"]  # saved again: nothing new
    listed = client.get(f"{url}/revisions", headers=people.headers("member")).json()["items"]
    assert [(r["id"], r["status"]) for r in listed] == [
        (first["pending_revision_id"], "superseded"),
        (second["pending_revision_id"], "pending"),
    ]
    assert listed[1]["changes"] == {"summary": "Résumé revu.", "title": "Titre revu"}
    back = client.patch(
        url,
        json={"summary": "Résumé publié avant deux modifications.", "title": case.title},
        headers=people.headers("member"),
    )
    assert back.json()["version"] == "published" and back.json()["pending_revision_id"] is None
    assert client.get(url).json()["title"] == case.title


def test_a_racing_edit_cannot_leave_two_pending_revisions(
    client: TestClient, seeded_engine: Engine, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two edits that both saw no pending revision: the second is refused (409), nothing half-written."""
    case = _published_case(seeded_engine, people.org_id, "Résumé publié avant une course.")
    url = f"/api/v1/case-studies/{case.id}"
    first = client.patch(url, json={"summary": "Première version."}, headers=people.headers("member"))
    assert first.status_code == 200
    monkeypatch.setattr(revisions, "pending_revision", lambda db, case: None)  # as if it raced the first
    second = client.patch(url, json={"summary": "Seconde version."}, headers=people.headers("org_admin"))
    assert second.status_code == 409, second.text
    monkeypatch.undo()
    listed = client.get(f"{url}/revisions", headers=people.headers("member")).json()["items"]
    assert [(r["status"], r["changes"]["summary"]) for r in listed] == [("pending", "Première version.")]


def _mails_about(engine: Engine, case: CaseStudy) -> list[Email]:
    with make_session_factory(engine)() as db:
        return list(
            db.scalars(
                select(Email)
                .where(Email.kind == "case_revision_proposed", Email.subject.contains(case.title))
                .order_by(Email.id)
            )
        )


def test_finding5_moderators_are_mailed_when_a_revision_is_proposed(
    client: TestClient, seeded_engine: Engine, people: People
) -> None:
    """A pending revision waits for a moderator: they are told by e-mail (link to /moderation), once
    per proposal; the author is not; an administrator's own edit, applied at once, mails nobody."""
    case = _published_case(seeded_engine, people.org_id, "Résumé publié, relu.")
    edited = client.patch(
        f"/api/v1/case-studies/{case.id}",
        json={"summary": "Résumé modifié, avec un lien https://ailleurs.example/ à vérifier."},
        headers=people.headers("member"),
    )
    assert edited.status_code == 200, edited.text
    revision_id = edited.json()["pending_revision_id"]
    mails = _mails_about(seeded_engine, case)
    to = {m.to_address for m in mails}
    assert {people.moderator.email, people.admin.email} <= to
    assert people.member.email not in to and people.unverified.email not in to
    for mail in mails:
        assert f"/moderation#modification-{revision_id}" in mail.body
        assert case.title in mail.body and "propose une modification" in mail.body

    # Editing the same pending version again does not mail them again.
    again = client.patch(
        f"/api/v1/case-studies/{case.id}",
        json={"title": f"{case.title} (bis)"},
        headers=people.headers("member"),
    )
    assert again.status_code == 200, again.text
    assert len(_mails_about(seeded_engine, case)) == len(mails)

    # An administrator edits at once: nothing to review, no mail.
    other = _published_case(seeded_engine, people.org_id, "Un autre résumé publié.")
    direct = client.patch(
        f"/api/v1/case-studies/{other.id}", json={"summary": "Corrigé"}, headers=people.headers("admin")
    )
    assert direct.status_code == 200, direct.text
    assert _mails_about(seeded_engine, other) == []
