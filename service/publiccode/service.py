"""Who publishes which software: forges of local authorities, their repositories, and the publishers of a
software (the organisations whose forge holds a repository of it that is not a copy)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.api.errors import InvalidFieldError
from service.db.provenance import provenance_of
from service.organisations.models import Organisation
from service.organisations.schemas import OrganisationRef
from service.publiccode.models import CodeForge, CodeRepository
from service.publiccode.schemas import CodeForgeOut, CodeRepositoryOut, SoftwarePublisherOut
from service.software.models import Software
from service.software.schemas import SoftwareRef
from service.territories.models import Territory
from service.territories.schemas import TerritoryRef


def _territory(org: Organisation) -> TerritoryRef | None:
    t = org.territory
    return TerritoryRef(code=t.code, name=t.name, kind=t.kind) if t is not None else None


def forges(session: Session) -> list[CodeForgeOut]:
    counts = dict(
        session.execute(
            select(CodeRepository.forge_id, func.count(CodeRepository.id)).group_by(CodeRepository.forge_id)
        ).all()
    )
    return [
        CodeForgeOut(
            login=f.login,
            name=f.name,
            description=f.description,
            url=f.url,
            website=f.website,
            platform=f.platform,
            organisation=OrganisationRef.model_validate(f.organisation),
            territory=_territory(f.organisation),
            repositories=counts.get(f.id, 0),
            provenance=provenance_of(f),
        )
        for f in session.scalars(select(CodeForge).order_by(CodeForge.login))
    ]


def repositories_statement(
    session: Session, *, forge: str | None, territory: Territory | None, software_id: int | None
) -> Select[CodeRepository]:
    stmt = select(CodeRepository)
    if forge is not None:
        if session.scalar(select(CodeForge.id).where(CodeForge.login == forge)) is None:
            raise InvalidFieldError(f"aucune forge « {forge} » (voir /api/v1/code-forges)", field="forge")
        stmt = stmt.where(CodeRepository.forge.has(CodeForge.login == forge))
    if territory is not None:
        stmt = stmt.where(
            CodeRepository.forge.has(CodeForge.organisation.has(Organisation.territory_id == territory.id))
        )
    if software_id is not None:
        stmt = stmt.where(CodeRepository.software_id == software_id)
    return stmt


def repository_out(r: CodeRepository) -> CodeRepositoryOut:
    return CodeRepositoryOut(
        id=r.id,
        name=r.name,
        url=r.url,
        description=r.description,
        language=r.language,
        licence=r.licence,
        created_on=r.created_on,
        updated_on=r.updated_on,
        is_fork=r.is_fork,
        is_archived=r.is_archived,
        stars=r.stars,
        forge=r.forge.login,
        organisation=OrganisationRef.model_validate(r.forge.organisation),
        territory=_territory(r.forge.organisation),
        software=SoftwareRef.model_validate(r.software) if r.software is not None else None,
        provenance=provenance_of(r),
    )


@dataclass
class Publisher:
    forge: CodeForge
    repositories: int
    forks: int


def publishers(session: Session, software: Software) -> list[Publisher]:
    """The forges holding the software's code, publishers (some repository that is not a fork) first."""
    rows = session.execute(
        select(CodeRepository.forge_id, CodeRepository.is_fork, func.count(CodeRepository.id))
        .where(CodeRepository.software_id == software.id)
        .group_by(CodeRepository.forge_id, CodeRepository.is_fork)
    ).all()
    counts: dict[int, list[int]] = {}
    for forge_id, is_fork, n in rows:
        counts.setdefault(forge_id, [0, 0])[1 if is_fork else 0] += n
    found = [
        Publisher(forge, *counts[forge.id])
        for forge in session.scalars(select(CodeForge).where(CodeForge.id.in_(list(counts))))
    ]
    return sorted(found, key=lambda p: (p.repositories == 0, -p.repositories, p.forge.login))


def publisher_out(p: Publisher) -> SoftwarePublisherOut:
    return SoftwarePublisherOut(
        organisation=OrganisationRef.model_validate(p.forge.organisation),
        territory=_territory(p.forge.organisation),
        forge=p.forge.login,
        forge_url=p.forge.url,
        repositories=p.repositories,
        forks=p.forks,
        provenance=provenance_of(p.forge),
    )


def forges_of(session: Session, territory: Territory) -> list[tuple[CodeForge, int]]:
    """The forges of the organisations of a territory, with their number of repositories."""
    rows = session.execute(
        select(CodeForge, func.count(CodeRepository.id))
        .join(Organisation, Organisation.id == CodeForge.organisation_id)
        .outerjoin(CodeRepository, CodeRepository.forge_id == CodeForge.id)
        .where(Organisation.territory_id == territory.id)
        .group_by(CodeForge.id)
        .order_by(CodeForge.login)
    ).all()
    return [(forge, n) for forge, n in rows]
