"""The shipped open data loads completely, correctly and idempotently."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from seeds.run import seed_all
from service.casestudies.models import CaseStudy, PublicationState
from service.territories.models import EpciForm, Territory, TerritoryKind


def _count(session: Session, kind: TerritoryKind) -> int:
    return session.scalar(select(func.count(Territory.id)).where(Territory.kind == kind)) or 0


def test_all_territories_are_loaded(session: Session) -> None:
    assert _count(session, TerritoryKind.commune) == 34_969
    assert _count(session, TerritoryKind.epci) == 1_255
    assert _count(session, TerritoryKind.departement) == 109
    assert _count(session, TerritoryKind.region) == 26


def test_communes_know_their_epci_and_population(session: Session) -> None:
    draguignan = session.scalar(select(Territory).where(Territory.code == "83050"))
    assert draguignan is not None
    assert draguignan.name == "Draguignan"
    assert draguignan.population is not None and draguignan.population > 30_000
    assert draguignan.parent_epci is not None
    assert draguignan.parent_epci.name.startswith("CA Dracénie Provence Verdon")
    assert draguignan.parent_epci.epci_form is EpciForm.ca
    assert draguignan.departement_code == "83"


def test_betagouv_pages_and_demo_cases_are_published_with_licence(session: Session) -> None:
    published = select(func.count(CaseStudy.id)).where(
        CaseStudy.publication_state == PublicationState.published
    )
    assert (session.scalar(published) or 0) >= 668
    page = session.scalar(select(CaseStudy).where(CaseStudy.external_key == "betagouv:1-eleve-1-stage"))
    assert page is not None
    assert page.licence == "cc-by-nc-sa-4.0"
    assert page.attribution and "beta.gouv.fr" in page.attribution
    assert page.source_url and page.source_url.startswith("https://github.com/betagouv/beta.gouv.fr/")
    demo = list(session.scalars(select(CaseStudy).where(CaseStudy.external_key.like("retex-demo:%"))))
    assert len(demo) == 6
    assert all(case.note and "démonstration" in case.note for case in demo)


def test_collectivite_sponsor_resolves_to_its_territory(session: Session) -> None:
    cases = session.scalars(
        select(CaseStudy).where(CaseStudy.territories.any(Territory.code == "83050"))
    ).all()
    assert cases, "the beta.gouv.fr pages sponsored by Draguignan are linked to the commune"


def test_second_seed_changes_nothing(seeded_engine: Engine) -> None:
    from service.db.engine import make_session_factory

    with make_session_factory(seeded_engine)() as session:
        reports = seed_all(session)
        session.commit()
    assert sum(r.inserted for r in reports) == 0
    assert sum(r.updated for r in reports) == 0
    assert sum(r.unchanged for r in reports) > 36_000


def test_seed_command_reports_zero_inserted_on_a_seeded_database(database_url: str, tmp_path) -> None:
    env = {**os.environ, "RETEX_DATABASE_URL": database_url, "RETEX_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "seed"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "0 inserted" in result.stderr
    assert "déjà à jour" in result.stderr
