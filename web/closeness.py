"""Why a case is close to « mon territoire », for lists of cases (the search results): the fit of
service/territories/fit.py, computed for the cases shown only, in one batch.

Never raises: the fit is derived data, a list of results must show without it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import Request
from sqlalchemy.orm import Session

from service.search_engine.engine import SearchEngine
from service.territory_insights.fit import Fit, cases_fit, load_for_fit
from web.my_territory import my_territory

log = logging.getLogger(__name__)


def fits_for(
    request: Request, session: Session, engine: SearchEngine | None, case_ids: Sequence[int]
) -> dict[int, Fit]:
    """case id -> its fit for the reader's territory, for the cases that have a territory; {} without a
    territory chosen (or when the fit fails)."""
    mine = my_territory(request)
    if mine is None or not case_ids:
        return {}
    reader = mine.territory  # loaded by the request's own session
    try:
        cases = load_for_fit(session, case_ids)
        fits = cases_fit(session, engine.index if engine else None, cases=cases, territory=reader)
    except Exception:  # derived data: the results still show without it
        log.exception("fit of search results failed for %s", reader.code)
        return {}
    return {case_id: fit for case_id, fit in fits.items() if fit.score is not None}
