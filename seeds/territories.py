"""Load régions, départements, EPCI, EPT and the 34,969 current communes (Etalab, COG 2026)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from seeds.paths import TERRITORIES_DIR
from seeds.report import StepReport
from seeds.upsert import upsert_rows
from service.territories.codes import departement_key, region_key
from service.territories.models import EpciForm, Territory, TerritoryKind
from service.textkeys import fold

EPCI_FORMS = {
    "CC": EpciForm.cc,
    "CA": EpciForm.ca,
    "CU": EpciForm.cu,
    "METRO": EpciForm.metropole,
    "MET69": EpciForm.metropole,
}


def _row(code: str, kind: TerritoryKind, name: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": code,
        "kind": kind,
        "name": name,
        "name_key": fold(name),
        "epci_form": None,
        "population": None,
        "siren": None,
        "departement_code": None,
        "region_code": None,
        "zone": None,
        "postal_codes": None,
        "parent_epci_id": None,
    }
    row.update(fields)
    return row


def _read_json(name: str) -> list[dict[str, Any]]:
    with (TERRITORIES_DIR / name).open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def count_communes() -> int:
    with (TERRITORIES_DIR / "communes_actuelles.csv").open(encoding="utf-8") as f:
        return sum(1 for _ in f) - 1


def seed_territories(session: Session, on_progress: Callable[[int], None] | None = None) -> StepReport:
    report = StepReport("territories")
    with (TERRITORIES_DIR / "communes_actuelles.csv").open(encoding="utf-8", newline="") as f:
        communes = list(csv.DictReader(f))

    # Départements and régions carry no population in the source: sum their communes'.
    pop_dep: dict[str, int] = defaultdict(int)
    pop_reg: dict[str, int] = defaultdict(int)
    for c in communes:
        pop = int(c["population"] or 0)
        pop_dep[c["departement"]] += pop
        pop_reg[c["region"]] += pop

    groups: list[dict[str, Any]] = []
    for r in _read_json("regions.json"):
        groups.append(
            _row(
                region_key(r["code"]),
                TerritoryKind.region,
                r["nom"],
                region_code=r["code"],
                zone=r["zone"],
                population=pop_reg.get(r["code"]) or None,
            )
        )
    for d in _read_json("departements.json"):
        groups.append(
            _row(
                departement_key(d["code"]),
                TerritoryKind.departement,
                d["nom"],
                departement_code=d["code"],
                region_code=d["region"],
                zone=d["zone"],
                population=pop_dep.get(d["code"]) or None,
            )
        )
    dep_of_commune = {c["code_insee"]: (c["departement"], c["region"], c["zone"]) for c in communes}
    for kind, name in ((TerritoryKind.epci, "epci.json"), (TerritoryKind.ept, "ept.json")):
        for e in _read_json(name):
            # An intercommunality's département/région: those of its first member (the seat is not given).
            first = dep_of_commune.get(e["membres"][0]["code"]) if e.get("membres") else None
            groups.append(
                _row(
                    e["code"],
                    kind,
                    e["nom"],
                    siren=e["code"],
                    epci_form=EPCI_FORMS.get(e["type"]) if kind is TerritoryKind.epci else None,
                    population=e.get("populationMunicipale"),
                    departement_code=first[0] if first else None,
                    region_code=first[1] if first else None,
                    zone=first[2] if first else None,
                )
            )
    ids = upsert_rows(session, Territory, Territory.code, groups, report, on_progress)
    if on_progress:
        on_progress(len(groups) - report.inserted - report.updated)

    rows = [
        _row(
            c["code_insee"],
            TerritoryKind.commune,
            c["nom"],
            population=int(c["population"]) if c["population"] else None,
            siren=c["siren"] or None,
            departement_code=c["departement"],
            region_code=c["region"],
            zone=c["zone"],
            postal_codes=" ".join(c["codes_postaux"].split(";")) if c["codes_postaux"] else None,
            parent_epci_id=ids.get(c["epci_siren"]) if c["epci_siren"] else None,
        )
        for c in communes
    ]
    before = report.inserted + report.updated
    upsert_rows(session, Territory, Territory.code, rows, report, on_progress)
    if on_progress:
        on_progress(len(rows) - (report.inserted + report.updated - before))
    return report
