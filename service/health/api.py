"""/healthz (the process answers) and /readyz (it can serve: database and index reachable, plus how far
the index is behind the database). For load balancers and orchestrators; no authentication, no
personal data."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.api.errors import DATABASE_DOWN_ERRORS
from service.indexjobs.consistency import index_status
from service.search_engine.engine import SearchEngine

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="Le processus répond")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Base et index joignables ; retard de l'index sur la base")
def readyz(request: Request) -> JSONResponse:
    """200 when the database and the index answer; 503 (with the failing part named) otherwise.

    `index` reports the outbox backlog, dead-lettered jobs and the difference between cases in the
    index and published cases in the database: both 0 means the index has converged. `index.kinds`
    gives the same per indexed kind (cases, threads); `backlog`, `dead_jobs` and `consistent` count
    every kind."""
    problems: list[str] = []
    body: dict[str, Any] = {"database": {"ok": False}, "index": {"ok": False}}
    engine: SearchEngine | None = getattr(request.app.state, "search", None)
    with request.app.state.session_factory() as session:
        try:
            session.execute(text("SELECT 1"))
            body["database"] = {"ok": True}
        except DATABASE_DOWN_ERRORS as exc:
            log.warning("readyz: database unreachable: %s", exc)
            problems.append("base de données injoignable")
        if engine is None:
            problems.append("index de recherche non ouvert")
        elif body["database"]["ok"]:
            try:
                status = index_status(session, engine)
            except DATABASE_DOWN_ERRORS:
                problems.append("base de données injoignable")
                body["database"] = {"ok": False}
            except Exception as exc:  # index server down, damaged index...
                log.warning("readyz: index unreachable: %s", exc)
                problems.append("index de recherche injoignable")
            else:
                body["index"] = {
                    "ok": True,
                    "indexed_cases": status.indexed_cases,
                    "published_cases": status.published_cases,
                    "difference": status.difference,
                    "backlog": status.backlog,
                    "dead_jobs": status.dead_jobs,
                    "consistent": status.consistent,
                    "kinds": {
                        kind.value: {
                            "expected": k.expected,
                            "indexed": k.indexed,
                            "difference": k.difference,
                            "backlog": k.backlog,
                            "dead_jobs": k.dead_jobs,
                            "consistent": k.consistent,
                        }
                        for kind, k in status.kinds.items()
                    },
                }
        else:
            try:
                engine.index.count()
                body["index"] = {"ok": True}
            except Exception as exc:
                log.warning("readyz: index unreachable: %s", exc)
                problems.append("index de recherche injoignable")
    worker = getattr(request.app.state, "outbox_worker", None)
    body["worker"] = {"in_process": bool(worker is not None and worker.alive)}
    body["status"] = "unavailable" if problems else "ready"
    if problems:
        body["detail"] = "Service indisponible : " + ", ".join(problems) + "."
    return JSONResponse(body, status_code=503 if problems else 200)
