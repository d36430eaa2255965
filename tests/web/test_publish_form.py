"""Publishing and editing through the web form (no browser): the admin session, CSRF on every POST,
inline errors that keep what was typed, nothing half-written, preview and duplicate partials."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy, PublicationState
from tests.support.people import People
from tests.support.web import csrf_from, drain, log_in

HX = {"HX-Request": "true"}


def _form(client: TestClient, path: str = "/publier", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": csrf_from(client.get(path).text),
        "title": f"Guichet unique des associations {uuid.uuid4().hex[:6]}",
        "summary": "Un seul formulaire en ligne pour toutes les demandes des associations.",
        "status": "pilot",
        "licence": "etalab-2.0",
        "action": "draft",
    }
    data.update(fields)
    return data


def _case_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(CaseStudy.id))) or 0


def test_publish_needs_a_member_with_a_confirmed_address(client: TestClient, people: People) -> None:
    response = client.get("/publier", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/connexion?suivant=/publier"
    token = csrf_from(client.get("/connexion").text)
    response = client.post("/publier", data={"csrf_token": token, "title": "x", "summary": "y"})
    assert response.status_code == 401 and "Connectez-vous" in response.text
    log_in(client, people.unverified)
    response = client.get("/publier")
    assert response.status_code == 403 and "Confirmez d&#39;abord votre adresse" in response.text


def test_login_wrong_password_and_cookie_flags(client: TestClient, people: People) -> None:
    token = csrf_from(client.get("/connexion").text)
    form = {"csrf_token": token, "email": people.member.email, "suivant": "/"}
    wrong = client.post("/connexion", data={**form, "password": "nope"})
    assert wrong.status_code == 401 and "Adresse e-mail ou mot de passe incorrect" in wrong.text
    assert people.member.email in wrong.text  # what was typed stays in the field
    ok = client.post("/connexion", data={**form, "password": people.member.password}, follow_redirects=False)
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; Secure when the request came over HTTPS
    assert people.member.password.replace(" ", "") not in cookie
    assert "Se déconnecter" in client.get("/").text and "Mon compte" in client.get("/").text
    # Logging out needs the (rotated) CSRF token too.
    rotated = csrf_from(client.get("/").text)
    assert rotated != token
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 403
    assert (
        client.post("/deconnexion", data={"csrf_token": rotated}, follow_redirects=False).status_code == 303
    )
    assert client.get("/publier", follow_redirects=False).status_code == 303


def test_secure_cookie_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://retex.example") as c:
        response = c.get("/connexion")
        assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "path", ["/connexion", "/deconnexion", "/publier", "/publier/doublons", "/publier/apercu"]
)
def test_every_post_needs_the_csrf_token(admin_client: TestClient, path: str, session: Session) -> None:
    before = _case_count(session)
    data = _form(admin_client)
    del data["csrf_token"]
    assert admin_client.post(path, data=data).status_code == 403
    forged = admin_client.post(path, data={**data, "csrf_token": "x" * 43})
    assert forged.status_code == 403 and "Le formulaire a expiré" in forged.text
    assert admin_client.post(path, data=data, headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert _case_count(session) == before


def test_csrf_token_of_another_session_is_refused(admin_client: TestClient, app: FastAPI) -> None:
    other = TestClient(app)  # another visitor's session (no `with`: the app is already running)
    foreign = csrf_from(other.get("/connexion").text)
    response = admin_client.post("/publier", data=_form(admin_client, csrf_token=foreign))
    assert response.status_code == 403 and "jeton de sécurité" in response.text


def test_tampered_session_cookie_is_ignored(admin_client: TestClient) -> None:
    value = admin_client.cookies["retex_session"]
    payload, _, mac = value.partition(".")
    admin_client.cookies.clear()
    admin_client.cookies.set("retex_session", payload + "." + mac[::-1])
    assert admin_client.get("/publier", follow_redirects=False).status_code == 303
    admin_client.cookies.set("retex_session", "garbage")
    assert admin_client.get("/").status_code == 200


def test_errors_are_inline_keep_what_was_typed_and_write_nothing(
    admin_client: TestClient, session: Session
) -> None:
    before = _case_count(session)
    data = _form(
        admin_client,
        title="",
        summary="<b>Gras</b> & résumé gardé",
        budget_eur="beaucoup",
        staff_fte="1,5",
        started_on="2024-05-01",
        ended_on="2023-01-01",
        territory_codes="83050, 99999",
        themes=["open-data", "inconnu"],
        links="Site | pas-une-url",
        context="Un **contexte** conservé",
    )
    response = admin_client.post("/publier", data=data)
    assert response.status_code == 422
    html = response.text
    assert 'id="error-summary"' in html
    assert 'id="f-title-error"' in html and 'id="f-budget_eur-error"' in html
    assert 'id="f-ended_on-error"' in html and 'id="f-links-error"' in html
    assert "&lt;b&gt;Gras&lt;/b&gt; &amp; résumé gardé" in html
    assert 'value="beaucoup"' in html and 'value="1,5"' in html and "Un **contexte** conservé" in html
    assert 'id="f-themes-open-data" name="themes" value="open-data" checked' in html
    assert _case_count(session) == before

    # The service's own checks (an unknown territory) also come back inline, the rest is kept.
    data = _form(admin_client, territory_codes="83050, 99999", themes=["open-data"])
    response = admin_client.post("/publier", data=data)
    assert (
        response.status_code == 422
        and "99999" in response.text
        and 'id="f-territory_codes-error"' in response.text
    )
    assert _case_count(session) == before


def test_publish_then_edit(admin_client: TestClient, session: Session, app: FastAPI) -> None:
    data = _form(
        admin_client,
        action="publish",
        context="## Départ\n\nTrois **formulaires** papier.",
        budget_eur="12 500 €",
        staff_fte="0,5",
        territory_codes="83050 248300493",
        themes=["services-en-ligne"],
        software_ids=["1"],
        links="Site du projet | https://example.org/guichet\nhttps://example.org/doc",
    )
    response = admin_client.post("/publier", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["location"]
    assert location.startswith("/experiences/guichet-unique-des-associations-")
    session.expire_all()
    case = session.scalar(select(CaseStudy).where(CaseStudy.title == data["title"]))
    assert case is not None and case.publication_state is PublicationState.published
    assert case.budget_eur == 12500 and case.staff_fte == 0.5
    assert sorted(t.code for t in case.territories) == ["248300493", "83050"]
    assert [link.label for link in case.links] == ["Site du projet", "https://example.org/doc"]
    page = admin_client.get(location).text
    assert "<h3>Départ</h3>" in page and "<strong>formulaires</strong>" in page
    assert "Modifier cette expérience" in page

    edit_path = f"{location}/modifier"
    form = admin_client.get(edit_path).text
    assert 'value="12500"' in form and 'value="248300493, 83050"' in form
    update = _form(
        admin_client, edit_path, title=data["title"] + " (v2)", summary=data["summary"], action="draft"
    )
    update["case_id"] = str(case.id)
    response = admin_client.post(edit_path, data=update, follow_redirects=False)
    assert response.status_code == 303
    session.expire_all()
    case = session.get(CaseStudy, case.id)
    # "Enregistrer" on a published case saves the text and leaves it published.
    assert case is not None and case.title.endswith("(v2)")
    assert case.publication_state is PublicationState.published
    # A draft is hidden from visitors, shown to its writers with a banner.
    response = admin_client.post("/publier", data=_form(admin_client, action="draft"), follow_redirects=False)
    draft_location = response.headers["location"]
    assert "Brouillon" in admin_client.get(draft_location).text
    admin_client.cookies.clear()
    assert admin_client.get(draft_location).status_code == 404
    assert admin_client.get(location).status_code == 200
    drain(app)


def test_preview_partial_and_no_js_preview(admin_client: TestClient) -> None:
    data = _form(admin_client, solution="- **un** point\n- <script>alert(1)</script>", preview="solution")
    partial = admin_client.post("/publier/apercu", data=data, headers=HX)
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "<strong>un</strong>" in partial.text and "<script>" not in partial.text
    full = admin_client.post("/publier/apercu", data=data)
    assert full.status_code == 200 and "<html" in full.text
    assert 'id="apercu-solution"' in full.text and "<strong>un</strong>" in full.text
    assert data["title"] in full.text  # the form comes back filled in


def test_duplicates_partial(admin_client: TestClient, session: Session, app: FastAPI) -> None:
    drain(app)
    existing = session.scalars(
        select(CaseStudy)
        .where(CaseStudy.publication_state == PublicationState.published)
        .order_by(CaseStudy.id)
    ).first()
    assert existing is not None
    data = _form(admin_client, title=existing.title, summary=existing.summary)
    response = admin_client.post("/publier/doublons", data=data, headers=HX)
    assert response.status_code == 200 and "existe peut-être déjà" in response.text
    assert f"/experiences/{existing.slug}" in response.text
    # Editing that very case: it is not its own duplicate.
    response = admin_client.post("/publier/doublons", data={**data, "case_id": str(existing.id)}, headers=HX)
    assert f'/experiences/{existing.slug}"' not in response.text
    assert (
        admin_client.post("/publier/doublons", data=_form(admin_client, title="abc"), headers=HX).text.strip()
        == ""
    )


BAD_FORMS: list[dict[str, Any]] = [
    {"budget_eur": "1e400"},
    {"budget_eur": "-5"},
    {"staff_fte": "nan"},
    {"staff_fte": "1,2,3"},
    {"started_on": "2024-13-45"},
    {"software_ids": ["abc", "99999999"]},
    {"organisation_id": "99999999"},
    {"organisation_id": "x"},
    {"territory_codes": "ZZZ" * 100},
    {"themes": ["t" * 200]},
    {"links": "javascript:alert(1)"},
    {"links": "x | " + "https://e.x/" + "a" * 2000},
    {"status": "bogus", "licence": "proprietaire"},
    {"title": "t" * 500, "summary": "s" * 5000},
    {"context": "c" * 30000},
    {"action": "delete-everything"},
    {"title": "Titre\x00nul", "summary": "R\x00", "context": "\x00", "themes": ["open-data\x00"]},
    {"territory_codes": "83050\x00", "links": "a | https://e.x/\x00"},
]


@pytest.mark.parametrize("fields", BAD_FORMS)
def test_bad_form_input_never_answers_500(admin_client: TestClient, fields: dict[str, Any]) -> None:
    response = admin_client.post("/publier", data=_form(admin_client, **fields), follow_redirects=False)
    assert response.status_code in (303, 422), response.text[:500]
