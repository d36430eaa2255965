"""Find-or-create organisations by name (their slug), used by every seed step."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.organisations.models import Organisation, OrganisationKind
from service.territories.models import Territory
from service.textkeys import slugify


def upsert_organisation(
    session: Session,
    *,
    name: str,
    kind: OrganisationKind,
    acronym: str | None = None,
    website: str | None = None,
    territory: Territory | None = None,
) -> Organisation:
    slug = slugify(name, max_length=140)
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(
            slug=slug, name=name, kind=kind, acronym=acronym, website=website, territory=territory
        )
        session.add(org)
        session.flush()
        return org
    # Fill gaps only: a later source never overwrites what an earlier one (or a person) set.
    if acronym and not org.acronym:
        org.acronym = acronym
    if website and not org.website:
        org.website = website
    if territory is not None and org.territory_id is None:
        org.territory = territory
    return org
