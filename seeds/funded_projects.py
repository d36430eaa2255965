"""Digital projects funded by the State's investment grants (DGCL), tied to their territory.

The territory of a project, in order: the commune of its INSEE code; the territory whose SIREN it is
(an EPCI's code, a commune's SIREN); a commune of the same name in its département (2018–2019 rows
often carry only a name); the département itself for a département's project; otherwise none (the
département code is still kept, for the filters)."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.paths import DGCL_DIR
from seeds.report import StepReport
from seeds.upsert import upsert_rows
from service.funding.models import FundedProject
from service.territories.codes import departement_key
from service.territories.models import Territory, TerritoryKind
from service.textkeys import fold

SOURCE_NAME = (
    "DGCL — Projets financés par les dotations de soutien à l'investissement des collectivités territoriales"
)
LICENCE = "Données publiques réutilisables avec mention de la source (CRPA, art. L321-1)"
SOURCE_URL = (
    "https://github.com/betagouv/communs-de-la-transition-ecologique-des-collectivites/tree/"
    "8eafb5c9ed63004a7d6172df172fa1d96868af29/api/scripts/import-dgcl-dotations/data"
)
_NAME_PREFIX = re.compile(r"^(commune|ville|mairie) (de |d |du |des )?")


def count_rows() -> int:
    with (DGCL_DIR / "digital-projects.csv").open(encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def departement_code(raw: str) -> str | None:
    """'001' -> '01', '02A' -> '2A', '974' -> '974'."""
    raw = raw.strip().upper()
    if not raw:
        return None
    if len(raw) == 3 and raw.startswith("0"):
        return raw[1:]
    return raw


class _Resolver:
    def __init__(self, session: Session) -> None:
        self.by_code: dict[str, tuple[int, str | None]] = {}
        self.by_siren: dict[str, int] = {}
        self.by_name: dict[tuple[str, str], int] = {}
        self.region_of_dep: dict[str, str | None] = {}
        rows = session.execute(
            select(
                Territory.id,
                Territory.code,
                Territory.kind,
                Territory.siren,
                Territory.name_key,
                Territory.departement_code,
                Territory.region_code,
            )
        )
        for id_, code, kind, siren, name_key, dep, region in rows:
            self.by_code[code] = (id_, region)
            if siren:
                self.by_siren[siren] = id_
            if kind is TerritoryKind.commune and dep:
                self.by_name.setdefault((dep, name_key), id_)
            if kind is TerritoryKind.departement and dep:
                self.region_of_dep[dep] = region

    def resolve(self, r: dict[str, str], dep: str | None) -> int | None:
        insee = r["beneficiaire_code_insee"].strip()
        if insee and insee in self.by_code:
            return self.by_code[insee][0]
        siren = r["beneficiaire_siren"].strip()
        if siren and siren in self.by_siren:
            return self.by_siren[siren]
        if dep and r["beneficiaire_type"] in ("", "commune") and r["beneficiaire_nom"]:
            key = _NAME_PREFIX.sub("", fold(r["beneficiaire_nom"]))
            found = self.by_name.get((dep, key))
            if found is not None:
                return found
        if dep and r["beneficiaire_type"] == "departement":
            hit = self.by_code.get(departement_key(dep))
            return hit[0] if hit else None
        return None


def _int(value: str) -> int | None:
    return int(value) if value.strip().lstrip("-").isdigit() else None


def seed_funded_projects(session: Session, on_progress: Callable[[int], None] | None = None) -> StepReport:
    report = StepReport("funded projects (DGCL)")
    resolver = _Resolver(session)
    with (DGCL_DIR / "digital-projects.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    region_of_territory = {id_: region for id_, region in resolver.by_code.values()}
    rows: list[dict[str, Any]] = []
    for r in records:
        dep = departement_code(r["beneficiaire_dep"])
        territory_id = resolver.resolve(r, dep)
        region = region_of_territory.get(territory_id) if territory_id else None
        year = int(r["exercice"])
        rows.append(
            {
                "source_key": r["source_key"],
                "title": r["intitule"][:1000],
                "title_key": fold(r["intitule"]),
                "year": year,
                "scheme": r["dispositif"][:10],
                "category": r["categorie"],
                "cost_eur": _int(r["cout_ht"]),
                "grant_eur": _int(r["subvention"]),
                "beneficiary_name": r["beneficiaire_nom"][:300],
                "beneficiary_kind": r["beneficiaire_type"][:60],
                "beneficiary_siren": r["beneficiaire_siren"][:9] or None,
                "departement_code": dep,
                "region_code": region or (resolver.region_of_dep.get(dep) if dep else None),
                "territory_id": territory_id,
                "source_name": SOURCE_NAME,
                "source_licence": LICENCE,
                "source_attribution": f"{SOURCE_NAME}, exercice {year}",
                "source_date": str(year),
                "source_url": SOURCE_URL,
            }
        )
    upsert_rows(session, FundedProject, FundedProject.source_key, rows, report, on_progress)
    if on_progress:
        on_progress(report.unchanged)
    return report
