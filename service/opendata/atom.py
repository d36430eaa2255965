"""Atom entries of case studies (id, title, updated, links, author, summary, categories and, per entry,
the licence of its content in `rights`); the document itself is built by the kit (service/api/atom.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from service.api.atom import AtomEntry, atom_document
from service.api.datetimes import as_utc
from service.casestudies.models import CaseStudy
from service.opendata.licences import licence_name


def case_updated(case: CaseStudy) -> datetime:
    return as_utc(case.updated_at or case.published_at or datetime(2000, 1, 1, tzinfo=UTC))


def case_entry(case: CaseStudy, base_url: str) -> AtomEntry:
    rights = licence_name(case.licence)
    if case.attribution:
        rights = f"{rights} — {case.attribution}"
    return AtomEntry(
        url=f"{base_url}/experiences/{case.slug}",
        title=case.title,
        updated=case_updated(case),
        published=case.published_at,
        author=case.organisation.name if case.organisation is not None else None,
        summary=case.summary,
        categories=[(t.slug, t.label) for t in case.themes],
        rights=rights,
    )


def atom_feed(
    *, title: str, subtitle: str, self_url: str, page_url: str, base_url: str, cases: Sequence[CaseStudy]
) -> bytes:
    return atom_document(
        title=title,
        subtitle=subtitle,
        self_url=self_url,
        page_url=page_url,
        base_url=base_url,
        entries=[case_entry(c, base_url) for c in cases],
    )
