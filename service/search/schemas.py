"""API shapes of search results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from service.api.datetimes import UtcDateTime
from service.api.ids import DbId
from service.casestudies.schemas import CaseStudySummary
from service.contests.schemas import DistinctionOut


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class SearchHit(BaseModel):
    case: CaseStudySummary
    score: float = Field(
        description="Mode hybride : probabilité, entre 0 et 1, qu'un lecteur juge l'expérience pertinente "
        "pour la recherche (modèle calibré sur un jeu de besoins jugés) ; comparable d'une recherche à "
        "l'autre. Seules les expériences au-dessus du seuil de pertinence sont renvoyées. Modes dense "
        "et lexical (diagnostic) : similarité brute du signal, non calibrée."
    )
    snippet: str = Field(description="Extrait HTML échappé ; les mots trouvés sont entourés de <mark>.")
    section: str = Field(description="Section d'où vient l'extrait (summary, context, solution…).")
    distinctions: list[DistinctionOut] = Field(
        default_factory=list,
        description="Distinctions de l'expérience : son meilleur résultat à chaque concours (badges).",
    )


class DiscussionHit(BaseModel):
    """A public discussion matching the query: a result type of its own, next to the cases."""

    type: Literal["thread"] = "thread"
    id: int
    title: str
    case_study_id: int | None
    post_count: int
    snippet: str = Field(description="Extrait, mots de la requête entre <mark>…</mark> (HTML échappé).")
    url: str = Field(description="Chemin de la discussion sur le site.")


class EventSearchHit(BaseModel):
    """An event of the network matching the query: a result type of its own, next to the cases."""

    type: Literal["event"] = "event"
    id: int
    title: str
    kind: str
    starts_at: UtcDateTime
    snippet: str = Field(description="Extrait, mots de la requête entre <mark>…</mark> (HTML échappé).")
    url: str = Field(description="Chemin de l'événement sur le site.")


class CollectionSearchHit(BaseModel):
    """A public curated collection of experiences matching the query: a result type of its own."""

    type: Literal["collection"] = "collection"
    id: int
    slug: str
    title: str
    items: int = Field(description="Nombre d'expériences publiées qu'elle rassemble.")
    snippet: str = Field(description="Extrait, mots de la requête entre <mark>…</mark> (HTML échappé).")
    url: str = Field(description="Chemin de la sélection sur le site.")


class SearchResponse(BaseModel):
    items: list[SearchHit]
    total: int = Field(
        description="Nombre d'expériences qui répondent à la recherche (au-dessus du seuil de pertinence) ; "
        "le même pour la même recherche sur les mêmes données. 0 : rien ne correspond."
    )
    next: str | None = None
    page: int
    facets: dict[str, list[FacetValue]]
    mode: Literal["hybrid", "dense", "lexical"]
    discussions: list[DiscussionHit] = Field(
        default_factory=list, description="Les discussions publiques les plus proches (première page)."
    )
    events: list[EventSearchHit] = Field(
        default_factory=list, description="Les événements du réseau les plus proches (première page)."
    )
    collections: list[CollectionSearchHit] = Field(
        default_factory=list,
        description="Les sélections publiques d'expériences les plus proches (première page).",
    )


class SimilarCase(BaseModel):
    case: CaseStudySummary
    similarity: float = Field(description="Cosinus entre les résumés (0 à 1).")


class SimilarResponse(BaseModel):
    items: list[SimilarCase]
    total: int
    next: str | None = None


class DuplicateCheckIn(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    summary: str = Field(default="", max_length=2000)
    exclude_id: DbId | None = Field(default=None, description="Le cas en cours d'édition, à ignorer.")


class DuplicateCandidate(SimilarCase):
    level: Literal["probable", "possible"]


class DuplicateCheckOut(BaseModel):
    items: list[DuplicateCandidate]
    total: int
    next: str | None = None
