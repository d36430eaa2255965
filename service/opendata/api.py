"""/api/v1/exports and /api/v1/feeds: open data of the published case studies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from service.api.atom import FEED_DOC, AtomResponse
from service.api.auth import AppSettings
from service.api.transport import public_base, public_url_of
from service.db.session import DbSession
from service.opendata import feeds
from service.opendata.atom import atom_feed
from service.opendata.formats import csv_lines, jsonl
from service.opendata.rows import published_rows
from service.ratelimit.budgets import SearchBudget
from service.search import pipeline
from service.search.api import get_engine
from service.search.params import search_filters
from service.search.service import SearchFilters
from service.territories import service as territories
from service.territory_insights.api import Passages

router = APIRouter(tags=["open-data"])
Filters = Annotated[SearchFilters, Depends(search_filters)]


class JsonLinesResponse(StreamingResponse):
    media_type = "application/x-ndjson"


class CsvResponse(StreamingResponse):
    media_type = "text/csv; charset=utf-8"


def base_url(request: Request) -> str:
    return public_base(request)  # RETEX_PUBLIC_URL, never the Host header


def _rows(request: Request, filters: SearchFilters) -> Iterator[dict[str, Any]]:
    """Rows read with a session of their own: the request's session is closed before streaming starts."""
    with request.app.state.session_factory() as session:
        yield from published_rows(session, filters=filters, base_url=base_url(request))


def _stream_doc(media_type: str, example: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string"}, "example": example}}}}


_EXPORT_NOTE = (
    " Chaque ligne donne la licence de son contenu (`licence`, `licence_name`, `licence_url`,"
    " `attribution`) :"
    " CC BY-NC-SA 4.0 pour les fiches beta.gouv.fr, la licence choisie par l'auteur (Licence Ouverte 2.0 par"
    " défaut) pour les expériences écrites sur Retex. Mêmes filtres que /search. / Each row states the"
    " licence of its content; same filters as /search. Streamed: constant memory whatever the size."
)


@router.get(
    "/exports/case-studies.jsonl",
    response_class=JsonLinesResponse,
    summary="Export des expériences publiées (JSON Lines)",
    description="Une expérience publiée par ligne, en JSON." + _EXPORT_NOTE,
    responses=_stream_doc(
        "application/x-ndjson",
        '{"id": 1, "slug": "…", "title": "…", "themes": ["achats-mutualisation"], "licence": "etalab-2.0"}\n',
    ),
)
def export_jsonl(request: Request, filters: Filters) -> JsonLinesResponse:
    return JsonLinesResponse(
        jsonl(_rows(request, filters)),
        headers={"Content-Disposition": 'attachment; filename="retex-experiences.jsonl"'},
    )


@router.get(
    "/exports/case-studies.csv",
    response_class=CsvResponse,
    summary="Export des expériences publiées (CSV)",
    description="Une ligne par expérience ; thèmes, territoires et logiciels séparés par « | »."
    + _EXPORT_NOTE,
    responses=_stream_doc(CsvResponse.media_type, "id,slug,url,title,…\r\n1,…\r\n"),
)
def export_csv(request: Request, filters: Filters) -> CsvResponse:
    return CsvResponse(
        csv_lines(_rows(request, filters)),
        headers={"Content-Disposition": 'attachment; filename="retex-experiences.csv"'},
    )


@router.get(
    "/feeds/case-studies.atom",
    response_class=AtomResponse,
    summary="Flux Atom : dernières expériences",
    description="Les 50 expériences publiées les plus récemment mises à jour. / The 50 latest cases.",
    responses=FEED_DOC,
)
def feed_latest(request: Request, session: DbSession) -> AtomResponse:
    base = base_url(request)
    return AtomResponse(
        atom_feed(
            title="Retex — dernières expériences",
            subtitle="Les retours d'expérience numériques des territoires, les plus récents d'abord.",
            self_url=public_url_of(request),
            page_url=base + "/experiences",
            base_url=base,
            cases=feeds.latest(session),
        )
    )


@router.get(
    "/feeds/themes/{slug}.atom",
    response_class=AtomResponse,
    summary="Flux Atom : expériences d'un thème",
    description="Les 50 dernières expériences d'un thème (slug de /themes). / Latest cases of a theme.",
    responses=FEED_DOC,
)
def feed_theme(request: Request, session: DbSession, slug: str) -> AtomResponse:
    theme, cases = feeds.of_theme(session, slug)
    base = base_url(request)
    return AtomResponse(
        atom_feed(
            title=f"Retex — {theme.label}",
            subtitle=f"Les dernières expériences du thème « {theme.label} ».",
            self_url=public_url_of(request),
            page_url=f"{base}/recherche?theme={theme.slug}",
            base_url=base,
            cases=cases,
        )
    )


@router.get(
    "/feeds/territories/{code}.atom",
    response_class=AtomResponse,
    summary="Flux Atom : expériences d'un territoire et de territoires comparables",
    description="Les expériences du territoire (ou des communes de l'EPCI) puis celles des territoires qui "
    "lui ressemblent le plus, les plus récentes d'abord. / Cases of a territory and of similar ones.",
    responses=FEED_DOC,
)
def feed_territory(request: Request, session: DbSession, passages: Passages, code: str) -> AtomResponse:
    territory = territories.get_by_code(session, code=code)
    base = base_url(request)
    return AtomResponse(
        atom_feed(
            title=f"Retex — {territory.name} et territoires comparables",
            subtitle=f"Les expériences de {territory.name} et des territoires qui lui ressemblent.",
            self_url=public_url_of(request),
            page_url=f"{base}/territoires/{territory.code}",
            base_url=base,
            cases=feeds.of_territory(session, passages, territory),
        )
    )


@router.get(
    "/feeds/search.atom",
    dependencies=[SearchBudget],
    response_class=AtomResponse,
    summary="Flux Atom : une recherche enregistrée",
    description="Les 50 meilleurs résultats d'une recherche (mêmes paramètres que /search), les plus "
    "récents d'abord : abonnez-vous à l'adresse d'une recherche. / A saved search as a feed.",
    responses={**FEED_DOC, 503: {"description": "La recherche démarre."}},
)
def feed_search(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    filters: Filters,
    q: Annotated[str, Query(max_length=300, pattern=r"\S", description="Le besoin, en quelques mots.")],
) -> AtomResponse:
    query = pipeline.parse_query(q, max_chars=settings.max_query_chars, filters=filters, discussions=False)
    base = base_url(request)
    return AtomResponse(
        atom_feed(
            title=f"Retex — recherche « {query.text} »",
            subtitle="Les expériences qui répondent à cette recherche, les plus récentes d'abord.",
            self_url=public_url_of(request),
            page_url=f"{base}/recherche?{request.url.query}",
            base_url=base,
            cases=feeds.of_search(session, get_engine(request), query),
        )
    )
