"""The « distinctions » search filter: what the index payload holds of an experience's contest entries,
and how the values read on the page and in the API.

A case's payload field `distinctions` lists, from its entries in contests:
  - `any`: it entered at least one contest (candidate, finalist or laureate);
  - `finalist`: finalist or laureate somewhere (reached a final, or won);
  - `laureate`: laureate somewhere;
  - the slug of every contest it entered.
So `distinction=finalist` finds the finalists and the laureates, and `distinction=<slug>` the entries of
one contest. The payload is rebuilt when an entry changes (service/indexjobs/hooks.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.contests.models import Contest, ContestEntry, EntryResult

ANY = "any"
VALUE_LABELS: dict[str, str] = {
    EntryResult.laureate.value: "Lauréat",
    EntryResult.finalist.value: "Finaliste ou lauréat",
    ANY: "Présentée à un concours",
}
DESCRIPTION = (
    "Distinctions obtenues à des concours et labels : `laureate` (lauréate), `finalist` (finaliste ou "
    "lauréate), `any` (présentée à un concours, candidature comprise), ou le slug d'un concours (voir "
    "/contests) pour ses participantes. Plusieurs valeurs : l'une ou l'autre."
)

_IMPLIED: dict[EntryResult, tuple[str, ...]] = {
    EntryResult.candidate: (ANY,),
    EntryResult.finalist: (ANY, EntryResult.finalist.value),
    EntryResult.laureate: (ANY, EntryResult.finalist.value, EntryResult.laureate.value),
}


def distinction_values(session: Session, case_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per case, the values of its `distinctions` payload field (cases without entries are absent)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(ContestEntry.case_study_id, ContestEntry.result, Contest.slug)
        .join(Contest, Contest.id == ContestEntry.contest_id)
        .where(ContestEntry.case_study_id.in_(case_ids))
    )
    found: dict[int, set[str]] = {}
    for case_id, result, slug in rows:
        found.setdefault(case_id, set()).update((*_IMPLIED[result], slug))
    return {case_id: sorted(values) for case_id, values in found.items()}


def value_labels(session: Session, values: Iterable[str]) -> dict[str, str]:
    """French labels of facet values: the fixed ones, and contests by their name and edition."""
    values = set(values)
    labels = {v: VALUE_LABELS[v] for v in values if v in VALUE_LABELS}
    slugs = values - labels.keys()
    if slugs:
        rows = session.execute(
            select(Contest.slug, Contest.name, Contest.edition).where(Contest.slug.in_(slugs))
        )
        labels.update({slug: f"{name} ({edition})" for slug, name, edition in rows})
    return labels
