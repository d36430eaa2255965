"""The removals feed's items."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.datetimes import UtcDateTime
from service.sync.models import MirroredKind, RemovalReason


class RemovalOut(BaseModel):
    """An item a mirror must delete (if its copy is not newer than `removed_at`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Identifiant de la suppression (pas de l'élément).")
    kind: MirroredKind = Field(description="La liste de l'élément : case-study, organisation, thread…")
    entity_id: int = Field(description="L'`id` de l'élément dans sa liste.")
    slug: str | None = Field(description="Son slug (son code pour un territoire), s'il en a un.")
    reason: RemovalReason = Field(
        description="withdrawn : retirée après publication ; archived : archivée par ses auteurs ; "
        "deleted : supprimé ; merged : fusionné dans un autre (réservé) ; hidden : discussion masquée ; "
        "unlisted : sélection devenue non listée."
    )
    removed_at: UtcDateTime
