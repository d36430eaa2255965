"""Experiences read from records the seeds already hold (issue 14): pooling bodies' offers and signatory
communes of the Base Adresse Locale charter, local authorities' code forges, départements' notaries portals.
Each is tied to its territory, carries its provenance, and a story a testimony already tells is not told
twice."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy

URL = "/api/v1/case-studies"


def _case(session: Session, key: str) -> CaseStudy:
    case = session.scalar(select(CaseStudy).where(CaseStudy.external_key == key))
    assert case is not None, key
    return case


def test_a_pooling_offer_is_an_experience_of_its_body_tied_to_its_perimeter(session: Session) -> None:
    soluris = _case(session, "bal-charte:offre:geo17-soluris")
    assert soluris.organisation is not None and soluris.organisation.name == "Géo17 - Soluris"
    assert {t.code for t in soluris.territories} == {"dep-17"}
    assert soluris.licence == "mit" and soluris.source is not None and soluris.source.key == "bal-charte"
    assert "adressage" in soluris.summary and "Périmètre : Communes de Charente-Maritime" in soluris.context
    assert "accompagnement technique" in soluris.solution
    # A regional body covering four départements of Bretagne or more is tied to the région.
    assert {t.code for t in _case(session, "bal-charte:offre:geobretagne").territories} == {"reg-53"}
    assert {t.slug for t in soluris.themes} >= {"achats-mutualisation"}


def test_a_body_or_commune_a_testimony_tells_gets_no_second_experience(session: Session) -> None:
    megalis = select(func.count(CaseStudy.id)).where(
        CaseStudy.external_key.like("bal-charte:%"), CaseStudy.title.like("MEGALIS%")
    )
    assert session.scalar(megalis) == 0
    planes = select(func.count(CaseStudy.id)).where(CaseStudy.title == "Base Adresse Locale : Planès")
    assert session.scalar(planes) == 1  # the testimony only
    commune = _case(session, "bal-charte:commune:67495")
    assert commune.title == "Base Adresse Locale : Truchtersheim"
    assert "a signé la charte de la Base Adresse Locale le 28/06/2022" in commune.summary
    assert commune.short  # one or two sentences: a « fiche courte »


def test_paris_publishes_lutece_through_its_forge(client: TestClient, session: Session) -> None:
    forge = _case(session, "forges:lutece-secteur-public")
    body = client.get(f"{URL}/{forge.id}").json()
    assert body["title"] == "Ville de Paris publie son code sur GitHub : LUTECE Secteur Public"
    assert [t["code"] for t in body["territories"]] == ["75056"]
    assert [s["name"] for s in body["software"]] == ["Lutèce"]
    assert "135 dépôts publics" in body["context"] and body["licence"] == "etalab-2.0"
    assert "data-codes-sources-fr" in body["attribution"]


def test_a_departement_runs_its_notaries_portal(session: Session) -> None:
    rhone = _case(session, "sill:52")
    assert rhone.title == "Département du Rhône : Rhônes et notaires (Départements & Notaires)"
    assert {t.code for t in rhone.territories} == {"dep-69"}
    assert "créance du Département au titre de l'aide sociale" in rhone.context
    assert "Service ouvert en 2016" in rhone.solution
