"""/api/v1/exports/funded-projects.{jsonl,csv}: the funded digital projects as open data, each row with
its source, licence, attribution, date and link; same filters as /funded-projects."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from service.db.session import DbSession
from service.funding import service
from service.funding.classifier import DigitalCategory
from service.funding.models import FundedProject
from service.opendata.formats import CHUNK_BYTES, jsonl
from service.territories import service as territories

router = APIRouter(tags=["open-data"])
COLUMNS = (
    "id", "title", "year", "scheme", "category", "cost_eur", "grant_eur", "beneficiary_name",
    "beneficiary_kind",
    "territory_code", "territory_name", "departement_code", "region_code",
    "source_name", "source_licence", "source_attribution", "source_date", "source_url",
)  # fmt: skip
BATCH = 500


class JsonLinesResponse(StreamingResponse):
    media_type = "application/x-ndjson"


class CsvResponse(StreamingResponse):
    media_type = "text/csv; charset=utf-8"


def export_row(p: FundedProject) -> dict[str, Any]:
    row = {c: getattr(p, c) for c in COLUMNS if hasattr(FundedProject, c)}
    row["territory_code"] = p.territory.code if p.territory is not None else None
    row["territory_name"] = p.territory.name if p.territory is not None else None
    return row


def _rows(request: Request, ids: list[int]) -> Iterator[dict[str, Any]]:
    """Rows read with a session of their own: the request's session is closed before streaming starts."""
    with request.app.state.session_factory() as session:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            found = {
                p.id: p for p in session.scalars(select(FundedProject).where(FundedProject.id.in_(chunk)))
            }
            for id_ in chunk:
                if id_ in found:
                    yield export_row(found[id_])


def _csv(rows: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _ids(
    session: DbSession,
    territory: str | None,
    departement: str | None,
    region: str | None,
    year: int | None,
    category: DigitalCategory | None,
    q: str | None,
) -> list[int]:
    found = territories.filter_territory(session, territory)
    stmt = service.list_statement(
        territory=found, departement=departement, region=region, year=year, category=category, q=q
    )
    return list(session.scalars(stmt.with_only_columns(FundedProject.id).order_by(FundedProject.id)))


Territory = Annotated[str | None, Query(min_length=1, max_length=20, description="Code du territoire.")]
Departement = Annotated[str | None, Query(min_length=1, max_length=3)]
Region = Annotated[str | None, Query(min_length=1, max_length=3)]
Year = Annotated[int | None, Query(ge=2000, le=2100)]
Words = Annotated[str | None, Query(min_length=1, max_length=200, description="Mots de l'intitulé.")]
NOTE = (
    " Chaque ligne donne sa source, sa licence, son attribution, sa date et son lien (DGCL)."
    " Mêmes filtres que /funded-projects. / Each row states its source and licence;"
    " same filters as /funded-projects."
)


def _doc(media_type: str, example: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string"}, "example": example}}}}


@router.get(
    "/exports/funded-projects.jsonl",
    response_class=JsonLinesResponse,
    summary="Export des projets numériques financés (JSON Lines)",
    description="Un projet par ligne, en JSON." + NOTE,
    responses=_doc("application/x-ndjson", '{"id": 1, "title": "…", "source_licence": "…"}\n'),
)
def export_funded_jsonl(
    request: Request,
    session: DbSession,
    territory: Territory = None,
    departement: Departement = None,
    region: Region = None,
    year: Year = None,
    category: DigitalCategory | None = None,
    q: Words = None,
) -> JsonLinesResponse:
    ids = _ids(session, territory, departement, region, year, category, q)
    return JsonLinesResponse(
        jsonl(_rows(request, ids)),
        headers={"Content-Disposition": 'attachment; filename="retex-projets-finances.jsonl"'},
    )


@router.get(
    "/exports/funded-projects.csv",
    response_class=CsvResponse,
    summary="Export des projets numériques financés (CSV)",
    description="Un projet par ligne." + NOTE,
    responses=_doc(CsvResponse.media_type, "id,title,year,…\r\n1,…\r\n"),
)
def export_funded_csv(
    request: Request,
    session: DbSession,
    territory: Territory = None,
    departement: Departement = None,
    region: Region = None,
    year: Year = None,
    category: DigitalCategory | None = None,
    q: Words = None,
) -> CsvResponse:
    ids = _ids(session, territory, departement, region, year, category, q)
    return CsvResponse(
        _csv(_rows(request, ids)),
        headers={"Content-Disposition": 'attachment; filename="retex-projets-finances.csv"'},
    )
