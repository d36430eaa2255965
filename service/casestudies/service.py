"""Writing and reading case studies. Functions flush; the request's session commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.api.errors import InvalidFieldError
from service.casestudies import links
from service.casestudies.models import SECTIONS, CaseLink, CaseStudy, PublicationState
from service.casestudies.schemas import CaseStudyCreate, CaseStudyUpdate, LinkIn
from service.db.base import utcnow
from service.organisations.models import Organisation
from service.software.models import Software
from service.territories.codes import normalise_code
from service.territories.models import Territory
from service.textkeys import slugify
from service.themes.models import Theme

_RELATION_FIELDS = {"themes", "territory_codes", "software_ids", "links", "organisation_id"}


def resolve_themes(session: Session, slugs: Sequence[str]) -> list[Theme]:
    wanted = list(dict.fromkeys(slugs))
    found = {t.slug: t for t in session.scalars(select(Theme).where(Theme.slug.in_(wanted)))}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise InvalidFieldError(f"thème(s) inconnu(s) : {', '.join(unknown)}", field="themes")
    return [found[s] for s in wanted]


def resolve_territories(session: Session, codes: Sequence[str]) -> list[Territory]:
    wanted = list(dict.fromkeys(normalise_code(c) for c in codes))
    found = {t.code: t for t in session.scalars(select(Territory).where(Territory.code.in_(wanted)))}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise InvalidFieldError(
            f"territoire(s) inconnu(s) : {', '.join(unknown[:10])}", field="territory_codes"
        )
    return [found[c] for c in wanted]


def resolve_software(session: Session, ids: Sequence[int]) -> list[Software]:
    wanted = list(dict.fromkeys(ids))
    found = {s.id: s for s in session.scalars(select(Software).where(Software.id.in_(wanted)))}
    unknown = [str(i) for i in wanted if i not in found]
    if unknown:
        raise InvalidFieldError(f"logiciel(s) inconnu(s) : {', '.join(unknown)}", field="software_ids")
    return [found[i] for i in wanted]


def resolve_organisation(session: Session, organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise InvalidFieldError(f"organisation n° {organisation_id} inconnue", field="organisation_id")
    return org


def check_section_sizes(values: dict[str, Any], max_chars: int) -> None:
    for name in SECTIONS:
        text = values.get(name)
        if text is not None and len(text) > max_chars:
            raise InvalidFieldError(f"la section dépasse {max_chars} caractères ({len(text)})", field=name)


def unique_slug(session: Session, title: str) -> str:
    base = slugify(title)
    taken = set(session.scalars(select(CaseStudy.slug).where(CaseStudy.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _links(links: Sequence[LinkIn]) -> list[CaseLink]:
    return [CaseLink(position=i, label=link.label, url=str(link.url)) for i, link in enumerate(links)]


SLUG_ATTEMPTS = 3


def _is_slug_conflict(exc: IntegrityError) -> bool:
    return "slug" in str(exc.orig)


def create_case(
    session: Session, *, data: CaseStudyCreate, max_section_chars: int, author_id: int | None = None
) -> CaseStudy:
    """Create a case study with a slug free at insert time.

    Two requests with the same title can both find a slug free and then both insert it: the second
    insert fails on the unique slug. Then the transaction is rolled back and the case built again,
    which finds the slug now taken. So this must be the first write of its transaction (as in the
    API and the publish form)."""
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        case = _build_case(session, data, max_section_chars, author_id)
        session.add(case)
        try:
            session.flush()
        except IntegrityError as exc:
            if attempt == SLUG_ATTEMPTS or not _is_slug_conflict(exc):
                raise
            session.rollback()
            continue
        links.refresh_detected(session, case)
        return case
    raise AssertionError("unreachable")


def _build_case(
    session: Session, data: CaseStudyCreate, max_section_chars: int, author_id: int | None
) -> CaseStudy:
    values = data.model_dump(exclude=_RELATION_FIELDS)
    check_section_sizes(values, max_section_chars)
    case = CaseStudy(**values, author_id=author_id)
    case.publication_state = PublicationState(data.publication_state)
    case.slug = unique_slug(session, data.title)
    case.themes = resolve_themes(session, data.themes)
    case.territories = resolve_territories(session, data.territory_codes)
    case.software = resolve_software(session, data.software_ids)
    case.organisation = resolve_organisation(session, data.organisation_id)
    case.links = _links(data.links)
    if case.publication_state is PublicationState.published:
        case.published_at = utcnow()
    return case


@dataclass(frozen=True)
class CheckedUpdate:
    """An update that passed every check, with its references resolved (None: not sent)."""

    sent: dict[str, Any]
    themes: list[Theme] | None
    territories: list[Territory] | None
    software: list[Software] | None
    organisation: Organisation | None


def check_update(
    session: Session, *, case: CaseStudy, data: CaseStudyUpdate, max_section_chars: int
) -> CheckedUpdate:
    """Every check of an update, without touching the case (an edit waiting for review is checked
    when it is proposed, not only when it is approved)."""
    sent = data.model_dump(exclude_unset=True)
    for required in ("title", "summary", "status", "licence", "publication_state", *SECTIONS):
        if required in sent and sent[required] is None:
            raise InvalidFieldError("ne peut pas être vide", field=required)
    check_section_sizes(sent, max_section_chars)
    started: date | None = sent.get("started_on", case.started_on)
    ended: date | None = sent.get("ended_on", case.ended_on)
    if started and ended and ended < started:
        raise InvalidFieldError("la date de fin précède la date de début", field="ended_on")
    return CheckedUpdate(
        sent=sent,
        themes=resolve_themes(session, sent["themes"]) if "themes" in sent else None,
        territories=resolve_territories(session, sent["territory_codes"])
        if "territory_codes" in sent
        else None,
        software=resolve_software(session, sent["software_ids"]) if "software_ids" in sent else None,
        organisation=resolve_organisation(session, sent.get("organisation_id")),
    )


def update_case(
    session: Session, *, case: CaseStudy, data: CaseStudyUpdate, max_section_chars: int
) -> CaseStudy:
    # Resolve every relation before touching the row, so a bad reference changes nothing.
    checked = check_update(session, case=case, data=data, max_section_chars=max_section_chars)
    sent = checked.sent
    for key, value in sent.items():
        if key not in _RELATION_FIELDS:
            setattr(case, key, value)
    if checked.themes is not None:
        case.themes = checked.themes
    if checked.territories is not None:
        case.territories = checked.territories
    if checked.software is not None:
        case.software = checked.software
    if "organisation_id" in sent:
        case.organisation = checked.organisation
    if data.links is not None:
        case.links = _links(data.links)
    if case.publication_state is PublicationState.published and case.published_at is None:
        case.published_at = utcnow()
    session.flush()
    # What the author sent is theirs, suggested before or not; then the text is read again.
    if checked.themes is not None:
        links.mark_declared(session, case, "theme", [t.id for t in checked.themes])
    if checked.territories is not None:
        links.mark_declared(session, case, "territory", [t.id for t in checked.territories])
    if checked.software is not None:
        links.mark_declared(session, case, "software", [s.id for s in checked.software])
    links.refresh_detected(session, case)
    return case


def delete_case(session: Session, *, case: CaseStudy) -> None:
    session.delete(case)
    session.flush()


def list_statement(
    *,
    theme: str | None,
    territory: str | None,
    status: str | None,
    publication_state: PublicationState,
) -> Select[CaseStudy]:
    stmt = select(CaseStudy).where(CaseStudy.publication_state == publication_state)
    if theme:
        stmt = stmt.where(CaseStudy.themes.any(Theme.slug == theme))
    if territory:
        stmt = stmt.where(CaseStudy.territories.any(Territory.code == territory))
    if status:
        stmt = stmt.where(CaseStudy.status == status)
    return stmt
