"""The filter parameters of search, as one FastAPI dependency: /search, the exports and the feeds
accept the same names and values."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query
from pydantic import Field

from service.casestudies.models import ProjectStatus
from service.contests import distinctions
from service.search.service import SearchFilters
from service.territories.bands import BAND_LABELS
from service.territories.models import TerritoryKind

# Codes have a known shape: a value that cannot be a code is a 422, not an empty result.
TerritoryCode = Annotated[str, Field(pattern=r"^[0-9AB]{2,9}$")]  # INSEE (2A004), SIREN, département, région
DepartementCode = Annotated[str, Field(pattern=r"^(\d{2,3}|2A|2B)$")]
RegionCode = Annotated[str, Field(pattern=r"^\d{2}$")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]

Themes = Annotated[list[Slug] | None, Query(max_length=20, description="Slugs de thèmes (voir /themes).")]
Territories = Annotated[
    list[TerritoryCode] | None,
    Query(max_length=20, description="Codes de territoires concernés (ou de leur EPCI)."),
]
Departements = Annotated[
    list[DepartementCode] | None, Query(max_length=20, description="Codes de départements (83, 2A, 971).")
]
Regions = Annotated[list[RegionCode] | None, Query(max_length=20, description="Codes de régions (93).")]
Band = Annotated[str, Field(pattern="^(" + "|".join(re.escape(b) for b in BAND_LABELS) + ")$")]
Bands = Annotated[
    list[Band] | None, Query(max_length=20, description="Tranches de population : " + ", ".join(BAND_LABELS))
]
Year = Annotated[int, Field(ge=1900, le=2100)]
Distinctions = Annotated[list[Slug] | None, Query(max_length=20, description=distinctions.DESCRIPTION)]


async def search_filters(  # pure: no worker thread
    theme: Annotated[
        list[str] | None, Query(max_length=20, description="Slugs de thèmes (voir /themes).")
    ] = None,
    territory_kind: Annotated[list[TerritoryKind] | None, Query(max_length=10)] = None,
    territory: Annotated[
        list[str] | None,
        Query(max_length=20, description="Codes de territoires concernés (ou de leur EPCI)."),
    ] = None,
    departement: Annotated[
        list[str] | None, Query(max_length=20, description="Codes de départements.")
    ] = None,
    region: Regions = None,
    population_band: Bands = None,
    status: Annotated[list[ProjectStatus] | None, Query(max_length=10)] = None,
    year: Annotated[
        list[Year] | None, Query(max_length=30, description="Année de début (ou de publication).")
    ] = None,
    distinction: Distinctions = None,
) -> SearchFilters:
    return SearchFilters(
        values={
            "theme": list(theme or []),
            "territory_kind": [k.value for k in territory_kind or []],
            "territory": list(territory or []),
            "departement": list(departement or []),
            "region": list(region or []),
            "population_band": list(population_band or []),
            "status": [s.value for s in status or []],
            "year": list(year or []),
            "distinction": list(distinction or []),
        }
    )
