"""How much of a write-up a case is, 0-100: a near-empty page ("fiche courte") is shown as such and kept out
of similar-case and fit suggestions (they filter on `CaseStudy.completeness >= SHORT_BELOW`)."""

from __future__ import annotations

from service.casestudies.models import SHORT_BELOW, CaseScope, CaseStudy

# section -> (points, characters that earn them all)
_WEIGHTS = {"context": (25, 600), "solution": (20, 400), "results": (20, 300)}


def completeness(case: CaseStudy, *, territory_count: int) -> int:
    score = 0.0
    summary = (case.summary or "").strip()
    if len(summary) >= 60 and summary != case.title:
        score += 10
    for name, (points, full) in _WEIGHTS.items():
        score += points * min(len((getattr(case, name) or "").strip()) / full, 1.0)
    score += 5 if (case.resources or "").strip() else 0
    score += 5 if (case.transferability or "").strip() else 0
    score += 5 if case.themes else 0
    score += 5 if territory_count or case.scope == CaseScope.national else 0
    score += 5 if case.status and (case.started_on or case.budget_eur or case.partners) else 0
    return min(round(score), 100)


def is_short(case: CaseStudy) -> bool:
    """A "fiche courte": too little text to learn from or to suggest."""
    return case.completeness < SHORT_BELOW


__all__ = ["SHORT_BELOW", "completeness", "is_short"]
