"""The network's events written for the demo from a public account (seeds/data/retex/events.json): each is
checked by the same rules as an organiser's (service/events), marked as reconstructed, loaded once."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.organisations import upsert_organisation
from seeds.paths import RETEX_DIR
from seeds.report import StepReport
from service.casestudies.models import CaseStudy
from service.events.models import Event
from service.events.schemas import EventIn
from service.events.service import create_event
from service.organisations.models import OrganisationKind


def load_events() -> list[dict[str, Any]]:
    with (RETEX_DIR / "events.json").open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def _case_ids(session: Session, slugs: list[str]) -> list[int]:
    keys = [f"retex-demo:{s}" for s in slugs]
    found = {
        c.external_key: c.id
        for c in session.scalars(select(CaseStudy).where(CaseStudy.external_key.in_(keys)))
    }
    return [found[k] for k in keys if k in found]  # a demo case left out of a trimmed seed is just not listed


def seed_events(session: Session) -> StepReport:
    report = StepReport("events (demo)")
    for raw in load_events():
        key = f"retex-demo:{raw['key']}"
        if session.scalar(select(Event.id).where(Event.external_key == key)) is not None:
            report.unchanged += 1
            continue
        org = upsert_organisation(
            session, name=raw["organisation"]["name"], kind=OrganisationKind(raw["organisation"]["kind"])
        )
        body = dict(raw["event"])
        body["organisation_id"] = org.id
        body["sessions"] = [
            {
                **{k: v for k, v in s.items() if k != "cases"},
                "case_study_ids": _case_ids(session, s.get("cases", [])),
            }
            for s in body["sessions"]
        ]
        event = create_event(session, EventIn.model_validate(body), author_id=None)
        event.external_key = key
        event.note = raw["note"]
        report.inserted += 1
    session.flush()
    return report
