"""The Python client (clients/python) against the real app under uvicorn on a free loopback port: every
list walked to its end with no item twice, search with filters and facets, territories, organisations,
themes, software and discussions, errors with the server's French messages, and the examples of its
README executed."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from retex_client import (
    AuthenticationError,
    CaseStudy,
    NotFoundError,
    RetexClient,
    ValidationError,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.discussions.models import Thread
from tests.support.paths import REPO
from tests.support.people import People

README = REPO / "clients" / "python" / "README.md"
DOC_BASE = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[str]:
    return [code for lang, code in BLOCK.findall(README.read_text(encoding="utf-8")) if lang == "python"]


@pytest.fixture
def retex(live_server: str) -> RetexClient:
    return RetexClient(live_server, timeout=60)


def test_every_case_study_once_page_after_page(retex: RetexClient) -> None:
    total = retex.list_case_studies(limit=1).total
    ids = [case.id for case in retex.iter_case_studies(page_size=97)]
    assert len(ids) == total > 100 and len(set(ids)) == total
    assert ids == sorted(ids, reverse=True)  # newest first, the order of the cursor
    themed = list(retex.iter_case_studies(theme="open-data", page_size=7))
    assert 7 < len(themed) == len({c.id for c in themed}) == retex.list_case_studies(theme="open-data").total
    assert all(any(t.slug == "open-data" for t in c.themes) for c in themed)


def test_every_territory_and_organisation_once(retex: RetexClient) -> None:
    communes = list(retex.iter_territories(departement="83", kind="commune", page_size=40))
    assert len(communes) > 100 and len({t.code for t in communes}) == len(communes)
    assert {t.departement_code for t in communes} == {"83"} and {t.kind for t in communes} == {"commune"}
    organisations = list(retex.iter_organisations(page_size=20))
    assert len(organisations) == retex.list_organisations(limit=1).total > 20
    assert len({o.id for o in organisations}) == len(organisations)
    software = list(retex.iter_software(page_size=50))
    assert len({s.id for s in software}) == len(software) == retex.list_software(limit=1).total


def test_search_with_filters_and_facets(retex: RetexClient) -> None:
    found = retex.search("portail citoyen open source", page_size=5)
    assert found.items and found.total >= len(found.items) and "theme" in found.facets
    assert all(f.count > 0 for f in found.facets["theme"])
    theme = found.facets["theme"][0].value
    narrowed = retex.search("portail citoyen open source", theme=theme, page_size=5)
    assert narrowed.items and all(any(t.slug == theme for t in h.case.themes) for h in narrowed.items)
    hits = list(retex.iter_search("portail citoyen open source", page_size=10))
    assert len(hits) == len({h.case.id for h in hits}) == found.total
    case = retex.get_case_study(found.items[0].case.id)
    assert isinstance(case, CaseStudy) and case.licence
    assert retex.get_case_study_by_slug(case.slug).id == case.id


def test_territories_themes_software(retex: RetexClient) -> None:
    territory = retex.get_territory("83050")
    assert territory.kind == "commune" and territory.departement_code == "83"
    similar = retex.similar_territories("83050", limit=5)
    assert similar.territory.code == "83050" and 0 < len(similar.items) <= 5
    assert "83050" not in {peer.territory.code for peer in similar.items}
    themes = retex.list_themes()
    assert retex.get_theme(themes[0].slug).label == themes[0].label
    first = retex.list_software(limit=1).items[0]
    assert retex.get_software(first.id).name == first.name
    organisation = retex.list_organisations(limit=1).items[0]
    assert retex.get_organisation(organisation.id).slug == organisation.slug


def test_a_member_opens_a_thread_and_reads_it_back(live_server: str, people: People) -> None:
    with RetexClient(live_server, api_key=people.member.api_key) as member:
        theme = member.list_themes()[0].slug
        created = member.create_thread(
            title="Comment avez-vous choisi votre prestataire ?", body="Merci d'avance.", theme=theme
        )
        assert member.get_thread(created.id).title == created.title
        listed = list(member.iter_threads(theme=theme, page_size=1))
        assert created.id in {t.id for t in listed} and len({t.id for t in listed}) == len(listed)


class LostAnswer(httpx.BaseTransport):
    """The real server gets the first POST and does its work, but its answer is lost on the way back: the
    client sees a proxy's 503 (no Retry-After) in its place."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []
        self.replayed: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.real.handle_request(request)
        if request.method != "POST":
            return response
        self.sent.append(request)
        self.replayed.append(response.headers.get("Idempotent-Replayed"))
        if len(self.sent) > 1:
            return response
        response.read()
        response.close()
        return httpx.Response(503, text="<html>502 Bad Gateway</html>", request=request)

    def close(self) -> None:
        self.real.close()


def test_a_post_retried_after_a_lost_answer_creates_one_thread(
    live_server: str, people: People, session: Session
) -> None:
    transport = LostAnswer()
    title = f"Qui a déjà mutualisé son SIG ? {uuid.uuid4().hex[:6]}"
    with RetexClient(live_server, api_key=people.member.api_key, transport=transport, backoff=0.1) as member:
        created = member.create_thread(title=title, body="Nous cherchons des retours.", theme="open-data")
    first, retry = transport.sent
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    assert transport.replayed == [None, "true"]
    session.expire_all()
    threads = session.scalars(select(Thread).where(Thread.title == title)).all()
    assert [t.id for t in threads] == [created.id]  # the retry was answered from the stored answer


def test_errors_are_exceptions_with_the_french_problem(retex: RetexClient, live_server: str) -> None:
    with pytest.raises(NotFoundError) as missing:
        retex.get_territory("99999")
    assert missing.value.status == 404 and missing.value.title == "Ressource introuvable"
    assert missing.value.detail and missing.value.request_id
    with pytest.raises(ValidationError) as unknown:
        retex.list_case_studies(extra={"departement": "83"})
    assert [e.field for e in unknown.value.errors] == ["departement"]
    assert "paramètre inconnu" in unknown.value.errors[0].message
    with pytest.raises(ValidationError) as too_many:
        retex.list_case_studies(limit=500)
    assert too_many.value.errors[0].field == "limit"
    with (
        pytest.raises(AuthenticationError) as refused,
        RetexClient(live_server, api_key="rtx_inconnue") as bad,
    ):
        bad.list_themes()
    assert refused.value.status == 401 and "clé" in refused.value.detail.lower()


def test_a_partner_key_is_sent_as_bearer(live_server: str, people: People) -> None:
    with RetexClient(live_server, api_key=people.partner.api_key) as partner:
        response = partner.request("GET", "/themes")
        assert '"key"' in response.headers["RateLimit-Policy"]
        assert set(partner.rate_limit) == {"key"} and 0 < partner.rate_limit["key"].reset <= 60
        before = partner.rate_limit["key"]
        partner.list_themes()
        after = partner.rate_limit["key"]
        assert after.remaining == before.remaining - 1 or after.reset > before.reset  # or a new window


def test_the_readme_has_examples() -> None:
    assert len(python_blocks()) >= 6


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_example_runs(
    index: int, live_server: str, people: People, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RETEX_API_KEY", people.partner.api_key)
    monkeypatch.chdir(tmp_path)
    code = python_blocks()[index].replace(DOC_BASE, live_server)
    exec(compile(code, f"clients/python/README.md python block {index}", "exec"), {"__name__": "readme"})
