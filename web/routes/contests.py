"""/concours: contests and labels, and a contest's page (stages from the regional selections to the final,
the experiences entered and their results)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.contests import service
from service.contests.schemas import RESULT_LABELS
from web.params import PageSession, path_key
from web.templating import render

router = APIRouter()


@router.get("/concours", response_class=HTMLResponse)
def contest_list(request: Request, session: PageSession) -> HTMLResponse:
    return render(request, "contests.html", {"contests": service.all_contests(session)})


@router.get("/concours/{slug}", response_class=HTMLResponse)
def contest_page(request: Request, session: PageSession, slug: str) -> HTMLResponse:
    contest = service.get_contest(session, path_key(slug, max_chars=140))
    by_stage = {
        stage.id: sorted(
            (e for e in contest.entries if e.stage_id == stage.id), key=lambda e: (e.category.position, e.id)
        )
        for stage in contest.stages
    }
    context = {"contest": contest, "by_stage": by_stage, "RESULT_LABELS": RESULT_LABELS}
    return render(request, "contest.html", context)
