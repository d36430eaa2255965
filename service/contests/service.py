"""Contests: listing and reading them, and an experience's distinctions (its best result per contest)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.api.errors import NotFoundError
from service.contests.models import Contest, ContestCategory, ContestEntry, ContestStage, EntryResult
from service.contests.schemas import (
    RESULT_LABELS,
    ContestOut,
    ContestSummary,
    DistinctionOut,
    EntryOut,
    StageOut,
)
from service.organisations.schemas import OrganisationRef

_RANK = {EntryResult.candidate: 0, EntryResult.finalist: 1, EntryResult.laureate: 2}


def contests_statement() -> Select[Contest]:
    return select(Contest)


def get_contest(session: Session, slug: str) -> Contest:
    contest = session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None:
        raise NotFoundError(f"Aucun concours « {slug} ».")
    return contest


def contest_summary(contest: Contest) -> ContestSummary:
    return ContestSummary(
        id=contest.id,
        slug=contest.slug,
        name=contest.name,
        edition=contest.edition,
        organisation=OrganisationRef.model_validate(contest.organisation),
        url=f"/concours/{contest.slug}",
        updated_at=contest.updated_at,
    )


def contest_out(contest: Contest) -> ContestOut:
    stage_order = {s.id: s.position for s in contest.stages}
    entries = sorted(
        contest.entries, key=lambda e: (stage_order.get(e.stage_id, 0), e.category.position, e.id)
    )
    return ContestOut(
        **contest_summary(contest).model_dump(),
        description=contest.description,
        note=contest.note,
        categories=[c.name for c in contest.categories],
        stages=[
            StageOut(
                id=s.id,
                name=s.name,
                level=s.level,
                region_code=s.region_code,
                event_id=s.event_id,
                planned=s.planned,
            )
            for s in contest.stages
        ],
        entries=[
            EntryOut(
                case_study_id=e.case_study_id,
                case_study_slug=e.case_study.slug,
                case_study_title=e.case_study.title,
                category=e.category.name,
                stage_id=e.stage_id,
                result=e.result,
                note=e.note,
            )
            for e in entries
        ],
    )


def _label(result: EntryResult, contest: str, stage: str) -> str:
    return f"{RESULT_LABELS[result]} — {contest} ({stage})"


def distinctions(session: Session, case_ids: Sequence[int]) -> dict[int, list[DistinctionOut]]:
    """Per experience, its furthest result in each contest (a finalist is not also shown as candidate).

    Read as plain columns in one statement: a search page calls this, and loading the entries through the
    ORM also loaded each entry's case with its relations (most of a result page's database time)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(
            ContestEntry.case_study_id,
            ContestEntry.contest_id,
            ContestEntry.result,
            Contest.name.label("contest"),
            Contest.edition,
            ContestCategory.name.label("category"),
            ContestStage.name.label("stage"),
            ContestStage.position,
        )
        .join(Contest, Contest.id == ContestEntry.contest_id)
        .join(ContestCategory, ContestCategory.id == ContestEntry.category_id)
        .join(ContestStage, ContestStage.id == ContestEntry.stage_id)
        .where(ContestEntry.case_study_id.in_(case_ids))
    ).all()
    best: dict[tuple[int, int], Any] = {}  # the furthest entry's row per (case, contest)
    for r in rows:
        key = (r.case_study_id, r.contest_id)
        kept = best.get(key)
        if kept is None or (_RANK[r.result], r.position) > (_RANK[kept.result], kept.position):
            best[key] = r
    found: dict[int, list[DistinctionOut]] = {}
    for (case_id, _), r in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1].contest)):
        found.setdefault(case_id, []).append(
            DistinctionOut(
                contest_id=r.contest_id,
                contest=r.contest,
                edition=r.edition,
                category=r.category,
                stage=r.stage,
                result=r.result,
                label=_label(r.result, r.contest, r.stage),
            )
        )
    return found


def all_contests(session: Session) -> list[Contest]:
    return list(session.scalars(select(Contest).order_by(Contest.edition.desc(), Contest.name)).unique())
