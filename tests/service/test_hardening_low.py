"""Issue 15, the Low findings (one test each, named after it): huge ids and cursors, CSV formulas, one
e-mail rule, Cache-Control on personal answers, control characters in the request log, SQLite files
readable by their owner only."""

from __future__ import annotations

import csv
import io
import logging
import os
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.accounts import registration
from service.accounts.models import User
from service.accounts.service import AccountError, create_user
from service.accounts.validation import clean_email
from service.api.errors import InvalidFieldError
from service.api.pagination import encode_cursor
from service.db.engine import make_engine, make_session_factory
from tests.service.accounts_support import post_form
from tests.support.people import People
from tests.support.web import log_in
from web.routes.account import RESET_ANSWER_SECONDS

HUGE = 2**63


def test_finding_low_huge_ids_and_cursors_are_4xx(client: TestClient) -> None:
    for path in ("/api/v1/case-studies", "/api/v1/organisations", "/api/v1/software"):
        answer = client.get(path, params={"cursor": encode_cursor([HUGE])})
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
    for path in (f"/discussions/{HUGE}", f"/discussions/messages/{HUGE}/modifier"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert 400 <= answer.status_code < 500, (path, answer.status_code)


def test_finding_low_csv_cells_are_neutralised(client: TestClient, admin_headers: dict[str, str]) -> None:
    title = '=HYPERLINK("https://phishing.example","Cliquez")'
    created = client.post(
        "/api/v1/case-studies",
        headers=admin_headers,
        json={
            "title": title,
            "summary": "+33 résumé",
            "status": "deployed",
            "publication_state": "published",
        },
    )
    assert created.status_code == 201, created.text
    export = client.get("/api/v1/exports/case-studies.csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    mine = [r for r in rows if "phishing.example" in r["title"]]
    assert mine and mine[0]["title"] == "'" + title
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)


@pytest.mark.nodb
def test_finding_low_one_email_rule_everywhere() -> None:
    for bad in ("a,b@mairie.fr", "a;b@mairie.fr", "agent\u200b@mairie.fr", "agent@mai\u200brie.fr", "a@b"):
        with pytest.raises(InvalidFieldError):
            clean_email(bad)
        with pytest.raises(AccountError):  # `retex create-user` follows the same rule
            create_user(None, email=bad, display_name="X", password="x" * 14, role="member")  # type: ignore[arg-type]
    assert clean_email(" Prenom.Nom@Mairie.FR ") == "prenom.nom@mairie.fr"


def test_finding_low_no_store_on_authenticated_answers(client: TestClient, people: People) -> None:
    me = client.get("/api/v1/me", headers=people.headers("member"))
    assert me.status_code == 200 and me.headers.get("Cache-Control") == "no-store"
    export = client.get("/api/v1/me/export", headers=people.headers("member"))
    assert export.headers.get("Cache-Control") == "no-store"
    public = client.get("/api/v1/themes")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    log_in(client, people.member)
    page = client.get("/compte")
    assert page.status_code == 200 and page.headers.get("Cache-Control") == "no-store"


def test_finding_low_request_log_escapes_control_characters(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="retex.requests"):
        client.get("/inconnu%0A2026-01-01 INFO retex.requests request forged -> 200")
    lines = [r.getMessage() for r in caplog.records if r.name == "retex.requests"]
    assert lines and all("\n" not in line for line in lines)
    assert any("\\n" in line for line in lines)


@pytest.mark.nodb
def test_finding_low_sqlite_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "retex.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        with make_session_factory(engine)() as db:
            db.execute(text("CREATE TABLE t (x INTEGER)"))
            db.commit()
        engine.dispose()
        engine = make_engine(f"sqlite:///{path}")
        with engine.connect():
            for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                if name.exists():
                    assert name.stat().st_mode & 0o077 == 0, name
        engine.dispose()
    finally:
        os.umask(old)


def test_finding_low_display_names_cannot_copy_staff(people: People, seeded_engine: Engine) -> None:
    with make_session_factory(seeded_engine)() as db:
        staff = db.get(User, people.moderator.user_id)
        assert staff is not None
        lookalikes = [
            staff.display_name.replace("o", "\u043e"),  # Cyrillic « о »
            staff.display_name.upper().replace("O", "0"),
            "\u200b".join(staff.display_name),
            f" {staff.display_name}. ",
        ]
        for name in lookalikes:
            with pytest.raises(InvalidFieldError, match="équipe de modération"):
                registration.register(
                    db, email="copie@mairie.fr", display_name=name, password="x" * 14, public_url="http://x"
                )
        ok = registration.register(
            db,
            email="vrai@mairie.fr",
            display_name="Camille Martin",
            password="x" * 14,
            public_url="http://x",
        )
        assert ok.display_name == "Camille Martin"
        db.rollback()


def test_finding_low_reset_answers_take_the_same_time(app: FastAPI, people: People) -> None:
    browser = TestClient(app, client=("10.77.0.1", 50000))
    seconds = {}
    for label, email in (("known", people.member.email), ("unknown", "personne@mairie.fr")):
        began = time.monotonic()
        answer = post_form(browser, "/mot-de-passe-oublie", "/mot-de-passe-oublie", {"email": email})
        seconds[label] = time.monotonic() - began
        assert answer.status_code == 200
    assert min(seconds.values()) >= RESET_ANSWER_SECONDS, seconds
