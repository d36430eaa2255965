"""Home page (what Retex is, search box, latest cases, themes, dashboard)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.casestudies import counts, listing
from service.events import service as events
from service.events.schemas import KIND_LABELS as EVENT_KIND_LABELS
from web.charts import bar_chart
from web.params import PageSession
from web.templating import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: PageSession) -> HTMLResponse:
    by_theme = counts.cases_by_theme(session)
    by_region, without_territory = counts.cases_by_region(session)
    return render(
        request,
        "home.html",
        {
            "latest": listing.latest_cases(session, limit=6),
            "upcoming_events": events.events_page(
                session, events.EventFilters(), limit=3, cursor=None, as_cards=True
            ).items,
            "EVENT_KIND_LABELS": EVENT_KIND_LABELS,
            "published": counts.published_count(session),
            "themes": by_theme,
            "theme_chart": bar_chart(by_theme, limit=10),
            "region_counts": by_region,
            "region_chart": bar_chart(by_region, limit=10),
            "without_territory": without_territory,
        },
    )
