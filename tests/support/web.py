"""Helpers of the web tests driven through a TestClient: drain the index, read a form's CSRF token,
log in through the form."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.people import Person

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def drain(app: FastAPI) -> int:
    handled: int = app.state.outbox_worker.run_until_idle()
    return handled


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def log_in(client: TestClient, person: Person) -> None:
    token = csrf_from(client.get("/connexion").text)
    response = client.post(
        "/connexion",
        data={"email": person.email, "password": person.password, "csrf_token": token, "suivant": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
