"""« Signaler » through the API: members report published cases, moderators uphold (the case is
withdrawn, with the reason in its history) or dismiss."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.service.accounts_support import CASES, case_payload
from tests.support.api import all_items
from tests.support.people import People

REPORTS = "/api/v1/reports"


def _published_case(client: TestClient, people: People) -> dict[str, Any]:
    created = client.post(
        CASES,
        json=case_payload(organisation_id=people.org_id, publication_state="published"),
        headers=people.headers("admin"),
    )
    assert created.status_code == 201, created.text
    case: dict[str, Any] = created.json()
    return case


def _report(client: TestClient, case_id: int, headers: dict[str, str], reason: str) -> Any:
    return client.post(
        REPORTS, json={"target_type": "case_study", "target_id": case_id, "reason": reason}, headers=headers
    )


def test_upheld_report_withdraws_the_case(client: TestClient, people: People) -> None:
    case = _published_case(client, people)
    reason = "Cette fiche reprend mot pour mot un article sous droits."
    made = _report(client, case["id"], people.headers("member"), reason)
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["status"] == "open"

    twice = _report(client, case["id"], people.headers("member"), reason)
    assert twice.status_code == 409
    assert "déjà signalé" in twice.json()["detail"]
    assert (
        _report(client, case["id"], people.headers("outsider"), "Je confirme le problème.").status_code == 201
    )

    open_ids = [r["id"] for r in all_items(client, REPORTS, people.headers("moderator"))]
    assert report["id"] in open_ids
    assert client.get(REPORTS, headers=people.headers("member")).status_code == 403
    member_resolves = client.post(
        f"{REPORTS}/{report['id']}/resolution", json={"decision": "upheld"}, headers=people.headers("member")
    )
    assert member_resolves.status_code == 403

    note = "Contenu copié sans autorisation : retiré."
    upheld = client.post(
        f"{REPORTS}/{report['id']}/resolution",
        json={"decision": "upheld", "note": note},
        headers=people.headers("moderator"),
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "upheld" and upheld.json()["resolution_note"] == note

    assert client.get(f"{CASES}/{case['id']}").status_code == 404, "withdrawn from public reads"
    public_ids = [c["id"] for c in client.get(CASES, params={"limit": 100}).json()["items"]]
    assert case["id"] not in public_ids
    history = all_items(client, f"{CASES}/{case['id']}/history", people.headers("moderator"))
    assert (history[-1]["from_state"], history[-1]["to_state"], history[-1]["reason"]) == (
        "published",
        "rejected",
        note,
    )
    again = client.post(
        f"{REPORTS}/{report['id']}/resolution",
        json={"decision": "dismissed"},
        headers=people.headers("moderator"),
    )
    assert again.status_code == 409


def test_dismissed_report_leaves_the_case(client: TestClient, people: People) -> None:
    case = _published_case(client, people)
    made = _report(client, case["id"], people.headers("member"), "Je ne suis pas d'accord avec les chiffres.")
    assert made.status_code == 201
    dismissed = client.post(
        f"{REPORTS}/{made.json()['id']}/resolution",
        json={"decision": "dismissed", "note": "Désaccord de fond : à discuter, pas à retirer."},
        headers=people.headers("moderator"),
    )
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"
    assert client.get(f"{CASES}/{case['id']}").json()["publication_state"] == "published"
    open_ids = [r["id"] for r in all_items(client, REPORTS, people.headers("moderator"))]
    assert made.json()["id"] not in open_ids
    # Once handled, the same person may report again (something new may have come up).
    assert _report(client, case["id"], people.headers("member"), "Les chiffres sont faux.").status_code == 201


def test_who_may_report(client: TestClient, people: People) -> None:
    case = _published_case(client, people)
    anonymous = _report(client, case["id"], {}, "Contenu inapproprié.")
    assert anonymous.status_code == 401
    assert "Connectez-vous" in anonymous.json()["detail"]
    assert _report(client, case["id"], people.headers("partner"), "Contenu inapproprié.").status_code == 403
    unverified = _report(client, case["id"], people.headers("unverified"), "Contenu inapproprié.")
    assert unverified.status_code == 403

    too_short = _report(client, case["id"], people.headers("member"), "nul")
    assert too_short.status_code == 422 and too_short.json()["errors"][0]["field"] == "reason"
    draft = client.post(
        CASES, json=case_payload(organisation_id=people.org_id), headers=people.headers("member")
    ).json()
    hidden = _report(client, draft["id"], people.headers("outsider"), "Un brouillon que je ne vois pas.")
    assert hidden.status_code == 404, "nobody learns that an unpublished case exists"
    assert _report(client, 999_999_999, people.headers("member"), "Contenu inapproprié.").status_code == 404


def test_a_withdrawn_case_leaves_the_search(client: TestClient, app: FastAPI, people: People) -> None:
    word = f"zx{uuid.uuid4().hex[:10]}"  # a word no other case has
    case = client.post(
        CASES,
        json=case_payload(
            title=f"Capteurs de pollen {word}",
            organisation_id=people.org_id,
            publication_state="published",
        ),
        headers=people.headers("admin"),
    ).json()

    def found() -> list[int]:
        app.state.outbox_worker.run_until_idle()
        response = client.get("/api/v1/search", params={"q": f"capteurs pollen {word}", "mode": "lexical"})
        assert response.status_code == 200, response.text
        return [item["case"]["id"] for item in response.json()["items"]]

    assert case["id"] in found()
    made = _report(client, case["id"], people.headers("member"), "Fiche publiée par erreur, à retirer.")
    upheld = client.post(
        f"{REPORTS}/{made.json()['id']}/resolution",
        json={"decision": "upheld"},
        headers=people.headers("moderator"),
    )
    assert upheld.status_code == 200
    assert case["id"] not in found()
