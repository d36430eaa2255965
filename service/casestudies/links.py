"""A case's links to territories, themes and software with their origin: declared by its author (or its
source), detected in its text by Retex ("suggéré"), or confirmed by an author. One place writes them: the
seeds and every write of a case (create, update) call `refresh_detected`, authors call `confirm`/`dismiss`.

Detected links are recomputed from the text on every write; a confirmed one is kept as the author's; a
dismissed one is remembered by nothing (it comes back only if the text still names it next time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from service.casestudies.completeness import completeness
from service.casestudies.models import (
    SECTIONS,
    CaseScope,
    CaseStudy,
    LinkOrigin,
    case_software,
    case_territories,
    case_themes,
)
from service.db.base import utcnow
from service.software.detect import detect_software
from service.territories.linker import (
    Link,
    aside,
    link_text,
    load_gazetteer,
    mentions,
    pilot_sentences,
    within,
)
from service.territories.models import Territory, TerritoryKind
from service.themes.suggest import suggest_themes

LinkKind = Literal["territory", "theme", "software"]
_TABLES: dict[str, tuple[Table, str, str]] = {
    "territory": (case_territories, "territory_id", "territories"),
    "theme": (case_themes, "theme_id", "themes"),
    "software": (case_software, "software_id", "software"),
}


def case_text(case: CaseStudy) -> str:
    return "\n\n".join([case.title, case.summary or "", *(getattr(case, s) or "" for s in SECTIONS)])


def links_of(session: Session, case_id: int, kind: LinkKind) -> dict[int, tuple[str, float | None]]:
    """target id -> (origin, confidence) of one case's links of one kind."""
    table, column, _ = _TABLES[kind]
    has_confidence = "confidence" in table.c
    cols = [table.c[column], table.c.origin]
    if has_confidence:
        cols.append(table.c.confidence)
    rows = session.execute(select(*cols).where(table.c.case_study_id == case_id))
    return {r[0]: (r[1], r[2] if has_confidence else None) for r in rows}


def origins_for(
    session: Session, kind: LinkKind, case_ids: list[int]
) -> dict[tuple[int, int], tuple[str, float | None]]:
    """(case id, target id) -> (origin, confidence) for many cases at once (exports, lists)."""
    table, column, _ = _TABLES[kind]
    has_confidence = "confidence" in table.c
    cols = [table.c.case_study_id, table.c[column], table.c.origin]
    if has_confidence:
        cols.append(table.c.confidence)
    found: dict[tuple[int, int], tuple[str, float | None]] = {}
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        for row in session.execute(select(*cols).where(table.c.case_study_id.in_(chunk))):
            found[(row[0], row[1])] = (row[2], row[3] if has_confidence else None)
    return found


def _links_changed(session: Session, case: CaseStudy, attribute: str) -> None:
    """The case's themes, territories or software changed by a Core statement, which no flush sees: its
    `updated_at` moves here, so that a partner's `updated_since` walk reads it again."""
    case.updated_at = utcnow()
    session.expire(case, [attribute])


def set_detected(
    session: Session, case: CaseStudy, kind: LinkKind, detected: Mapping[int, float | None]
) -> bool:
    """Make the case's detected links of `kind` exactly `detected` (declared and confirmed links stay)."""
    table, column, attribute = _TABLES[kind]
    current = links_of(session, case.id, kind)
    changed = False
    stale = [t for t, (origin, _) in current.items() if origin == LinkOrigin.detected and t not in detected]
    if stale:
        session.execute(delete(table).where(table.c.case_study_id == case.id, table.c[column].in_(stale)))
        changed = True
    rows = []
    for target, confidence in detected.items():
        have = current.get(target)
        values: dict[str, object] = {"origin": LinkOrigin.detected.value}
        if "confidence" in table.c:
            values["confidence"] = confidence
        if have is None:
            rows.append({"case_study_id": case.id, column: target, **values})
        elif have[0] == LinkOrigin.detected and "confidence" in table.c and have[1] != confidence:
            session.execute(
                update(table)
                .where(table.c.case_study_id == case.id, table.c[column] == target)
                .values(confidence=confidence)
            )
            changed = True
    if rows:
        session.execute(insert(table), rows)
        changed = True
    if changed:
        _links_changed(session, case, attribute)
    return changed


def set_origin(session: Session, case: CaseStudy, kind: LinkKind, target: int, origin: LinkOrigin) -> bool:
    table, column, attribute = _TABLES[kind]
    result = session.execute(
        update(table)
        .where(table.c.case_study_id == case.id, table.c[column] == target)
        .values(origin=origin.value)
    )
    session.expire(case, [attribute])
    return bool(getattr(result, "rowcount", 0))


def link_details(session: Session, case: CaseStudy) -> list[dict[str, object]]:
    """Every link of the case with its origin and confidence, for the API and the case page."""
    details: list[dict[str, object]] = []
    origins = links_of(session, case.id, "territory")
    for t in case.territories:
        origin, confidence = origins.get(t.id, (LinkOrigin.declared.value, None))
        details.append(
            {
                "kind": "territory",
                "id": t.id,
                "label": t.name,
                "code": t.code,
                "origin": origin,
                "confidence": confidence,
            }
        )
    theme_origins = links_of(session, case.id, "theme")
    for th in case.themes:
        origin, _ = theme_origins.get(th.id, (LinkOrigin.declared.value, None))
        details.append({"kind": "theme", "id": th.id, "label": th.label, "code": th.slug, "origin": origin})
    software_origins = links_of(session, case.id, "software")
    for sw in case.software:
        origin, _ = software_origins.get(sw.id, (LinkOrigin.declared.value, None))
        details.append({"kind": "software", "id": sw.id, "label": sw.name, "code": None, "origin": origin})
    return details


def mark_declared(session: Session, case: CaseStudy, kind: LinkKind, targets: list[int]) -> None:
    """The author listed these targets: any of them that was suggested is now theirs."""
    if not targets:
        return
    table, column, attribute = _TABLES[kind]
    session.execute(
        update(table)
        .where(
            table.c.case_study_id == case.id,
            table.c[column].in_(targets),
            table.c.origin == LinkOrigin.detected.value,
        )
        .values(origin=LinkOrigin.declared.value)
    )
    session.expire(case, [attribute])


def confirm(session: Session, case: CaseStudy, kind: LinkKind, target: int) -> bool:
    """An author confirms a suggested link: it becomes theirs (kept whatever the text says later)."""
    return set_origin(session, case, kind, target, LinkOrigin.confirmed)


def dismiss(session: Session, case: CaseStudy, kind: LinkKind, target: int) -> bool:
    """An author removes a suggested link."""
    table, column, attribute = _TABLES[kind]
    result = session.execute(
        delete(table).where(
            table.c.case_study_id == case.id,
            table.c[column] == target,
            table.c.origin == LinkOrigin.detected.value,
        )
    )
    _links_changed(session, case, attribute)
    return bool(getattr(result, "rowcount", 0))


def declared_territories(session: Session, case: CaseStudy) -> list[Territory]:
    """The case's own territory links (declared or confirmed)."""
    links = links_of(session, case.id, "territory")
    own = [t for t, (origin, _) in links.items() if origin != LinkOrigin.detected]
    return list(session.scalars(select(Territory).where(Territory.id.in_(own)))) if own else []


def detect_territories(session: Session, case: CaseStudy, declared: list[Territory]) -> list[Link]:
    """The territories the case's text names that it concerns (not those it already declares)."""
    text = case_text(case)
    if case.scope == CaseScope.national:
        text = pilot_sentences(text)  # a State product: only the territories it was piloted in
    gazetteer = load_gazetteer(session, [m.key for m in mentions(text)])
    context = {t.departement_code for t in declared if t.departement_code}
    epcis = [t.id for t in declared if t.kind in (TerritoryKind.epci, TerritoryKind.ept)]
    if epcis:  # an intercommunality may straddle départements: those of its communes
        members = select(Territory.departement_code).where(Territory.parent_epci_id.in_(epcis)).distinct()
        context |= {code for code in session.scalars(members) if code}
    regions = {t.region_code for t in declared if t.region_code}
    declared_ids = {t.id for t in declared}
    found: list[Link] = []
    for link in link_text(text, gazetteer, context_departements=context):
        if link.territory_id in declared_ids:
            continue
        # A case that declares its place: other places it names elsewhere in France are comparisons,
        # benchmarks or statistics, not places it concerns; only its neighbours are kept.
        if declared and case.scope != CaseScope.national and not within(link, context, regions):
            continue
        if aside(text, link.evidence.split("»")[0].strip("« ").strip()):
            continue
        found.append(link)
    return found


def refresh_detected(session: Session, case: CaseStudy) -> bool:
    """Re-read the case's text: detected territories, suggested themes (only when it has none of its own),
    software mentions; and its completeness score. Call after the case's own fields are flushed."""
    session.flush()
    declared = declared_territories(session, case)
    detected = {link.territory_id: link.confidence for link in detect_territories(session, case, declared)}
    changed = set_detected(session, case, "territory", detected)

    theme_links = links_of(session, case.id, "theme")
    own_themes = [t for t, (origin, _) in theme_links.items() if origin != LinkOrigin.detected]
    suggested = {} if own_themes else {t: None for t in suggest_themes(session, case_text(case))}
    changed |= set_detected(session, case, "theme", suggested)

    software_links = links_of(session, case.id, "software")
    own_software = {s for s, (origin, _) in software_links.items() if origin != LinkOrigin.detected}
    mentioned = {s: None for s in detect_software(session, case_text(case)) if s not in own_software}
    changed |= set_detected(session, case, "software", mentioned)

    score = completeness(case, territory_count=len(links_of(session, case.id, "territory")))
    if case.completeness != score:
        case.completeness = score
        changed = True
    return changed


def sub_national(kind: TerritoryKind) -> bool:
    return kind in (
        TerritoryKind.commune,
        TerritoryKind.epci,
        TerritoryKind.ept,
        TerritoryKind.departement,
        TerritoryKind.region,
        TerritoryKind.syndicat_mixte,
    )
