"""/logiciels: the software list (SILL) and a software's page: who uses it, related cases."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.api.errors import NotFoundError
from service.casestudies.listing import software_cases
from service.publiccode import service as public_code
from service.software import catalogue
from service.software.models import Software
from web.params import PageSession, int_param, text_param
from web.templating import is_htmx, render

router = APIRouter()
PER_PAGE = 30


@router.get("/logiciels", response_class=HTMLResponse)
def software_list(request: Request, session: PageSession) -> HTMLResponse:
    q = text_param(request.query_params.get("q"), max_chars=100)
    page = int_param(request.query_params.get("page"), default=1, lo=1, hi=1000)
    rows, total = catalogue.software_page(session, q=q or None, page=page, per_page=PER_PAGE)
    context = {
        "q": q,
        "software_list": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PER_PAGE)),
        "params": {"q": q},
    }
    return render(request, "software_list.html", context, block="results" if is_htmx(request) else None)


@router.get("/logiciels/{software_id}", response_class=HTMLResponse)
def software_page(request: Request, session: PageSession, software_id: str) -> HTMLResponse:
    software = (
        session.get(Software, int(software_id)) if software_id.isdigit() and len(software_id) < 10 else None
    )
    if software is None:
        raise NotFoundError("Ce logiciel n'existe pas dans Retex.")
    context = {
        "software": software,
        "usages": catalogue.declared_usages(session, software=software),
        "cases": software_cases(session, software=software, limit=20),
        "publishers": public_code.publishers(session, software),
    }
    return render(request, "software.html", context)
