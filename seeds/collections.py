"""The demo selection (seeds/data/retex/collections.json): the experiences presented at the 2019 Paris step,
checked by the same rules as a curator's (service/collections), marked as reconstructed, loaded once."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.organisations import upsert_organisation
from seeds.paths import RETEX_DIR
from seeds.report import StepReport
from service.casestudies.models import CaseStudy
from service.collections.models import Collection
from service.collections.schemas import CollectionIn
from service.collections.service import apply_collection
from service.organisations.models import OrganisationKind

NOTE = (
    "Reconstitué pour la démonstration à partir d'un compte rendu public de l'étape parisienne de "
    "l'IntercoTOUR 2019 ; ce n'est pas une communication officielle des organisations citées."
)


def load_collections() -> list[dict[str, Any]]:
    with (RETEX_DIR / "collections.json").open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def seed_collections(session: Session) -> StepReport:
    report = StepReport("collections (demo)")
    for raw in load_collections():
        key = f"retex-demo:{raw['key']}"
        if session.scalar(select(Collection.id).where(Collection.external_key == key)) is not None:
            report.unchanged += 1
            continue
        org = upsert_organisation(
            session, name=raw["organisation"]["name"], kind=OrganisationKind(raw["organisation"]["kind"])
        )
        items = []
        for item in raw["items"]:
            case_id = session.scalar(
                select(CaseStudy.id).where(CaseStudy.external_key == f"retex-demo:{item['case']}")
            )
            if case_id is not None:  # a trimmed seed without the demo cases
                items.append({"case_study_id": case_id, "comment": item["comment"]})
        data = CollectionIn.model_validate(
            {
                "title": raw["title"],
                "introduction": raw["introduction"],
                "organisation_id": org.id,
                "items": items,
            }
        )
        collection = apply_collection(session, Collection(), data)
        collection.external_key = key
        collection.note = NOTE
        report.inserted += 1
    session.flush()
    return report
