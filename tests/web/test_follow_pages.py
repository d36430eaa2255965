"""Following from the pages: a territory, a theme (its discussions page) and a case; the button says the
current state and toggles it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.people import People
from tests.support.web import csrf_from, log_in


@pytest.mark.parametrize(
    ("page", "follow", "followed"),
    [
        ("/territoires/83050", "Suivre ce territoire", "Territoire suivi"),
        ("/discussions?theme=open-data", "Suivre ce thème", "Thème suivi"),
    ],
)
def test_follow_then_unfollow(
    client: TestClient, people: People, page: str, follow: str, followed: str
) -> None:
    log_in(client, people.outsider)
    html = client.get(page).text
    assert follow in html and followed not in html
    form = html[html.index('action="/suivre"') :]
    fields = dict(
        (name, value)
        for name, value in (
            (part.split('name="')[1].split('"')[0], part.split('value="')[1].split('"')[0])
            for part in form.split("<input")[1:6]
            if 'name="' in part and 'value="' in part
        )
    )
    response = client.post("/suivre", data={**fields, "csrf_token": csrf_from(html)}, follow_redirects=False)
    assert response.status_code == 303
    html = client.get(page).text
    assert followed in html
    form = html[html.index('action="/suivre"') :]
    fields["action"] = "arreter"
    client.post("/suivre", data={**fields, "csrf_token": csrf_from(html)})
    assert follow in client.get(page).text
