"""The 2019 contests of the demo (seeds/data/retex/contests.json): their stages (the Île-de-France
selection held at the seeded Paris event, the national final) and the demo experiences auditioned;
marked as reconstructed from a public account, loaded once."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.organisations import upsert_organisation
from seeds.paths import RETEX_DIR
from seeds.report import StepReport
from service.casestudies.models import CaseStudy
from service.contests.models import (
    Contest,
    ContestCategory,
    ContestEntry,
    ContestStage,
    EntryResult,
    StageLevel,
)
from service.events.models import Event
from service.organisations.models import OrganisationKind
from service.textkeys import slugify

NOTE = (
    "Reconstitué pour la démonstration à partir d'un compte rendu public de l'étape parisienne de "
    "l'IntercoTOUR 2019 : le compte rendu cite les projets remarqués lors des sélections régionales, "
    "pas les résultats de la finale. Ce n'est pas une communication officielle des organisations citées."
)


def load_contests() -> list[dict[str, Any]]:
    with (RETEX_DIR / "contests.json").open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def seed_contests(session: Session) -> StepReport:
    report = StepReport("contests (demo)")
    for raw in load_contests():
        key = f"retex-demo:{raw['key']}"
        if session.scalar(select(Contest.id).where(Contest.external_key == key)) is not None:
            report.unchanged += 1
            continue
        org = upsert_organisation(
            session, name=raw["organisation"]["name"], kind=OrganisationKind(raw["organisation"]["kind"])
        )
        contest = Contest(
            slug=slugify(f"{raw['name']} {raw['edition']}", max_length=140),
            name=raw["name"],
            edition=raw["edition"],
            organisation=org,
            description=raw["description"],
            note=NOTE,
            external_key=key,
        )
        categories = {
            name: ContestCategory(name=name, position=i) for i, name in enumerate(raw["categories"])
        }
        stages: dict[str, ContestStage] = {}
        for i, s in enumerate(raw["stages"]):
            event_id = None
            if s.get("event"):
                event_id = session.scalar(
                    select(Event.id).where(Event.external_key == f"retex-demo:{s['event']}")
                )
            stages[s["name"]] = ContestStage(
                name=s["name"],
                position=i,
                level=StageLevel(s["level"]),
                region_code=s.get("region_code"),
                event_id=event_id,
                planned=s.get("planned", ""),
            )
        contest.categories = list(categories.values())
        contest.stages = list(stages.values())
        session.add(contest)
        session.flush()
        for e in raw["entries"]:
            case_id = session.scalar(
                select(CaseStudy.id).where(CaseStudy.external_key == f"retex-demo:{e['case']}")
            )
            if case_id is None:  # a trimmed seed without the demo cases
                continue
            session.add(
                ContestEntry(
                    contest_id=contest.id,
                    category_id=categories[e["category"]].id,
                    stage_id=stages[e["stage"]].id,
                    case_study_id=case_id,
                    result=EntryResult(e["result"]),
                    note=e.get("note", ""),
                )
            )
        report.inserted += 1
    session.flush()
    return report
