from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.casestudies.models import PublicationState
from service.moderation.models import ReportStatus, ReportTarget


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: PublicationState = Field(examples=["submitted"])
    reason: Annotated[str | None, Field(max_length=2000)] = Field(
        default=None, description="Obligatoire pour un refus : l'auteur le reçoit."
    )


class StateChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: PublicationState | None
    to_state: PublicationState
    actor: str | None = Field(
        description="Nom de la personne (absent : import, opérateur ou compte supprimé)."
    )
    reason: str | None
    created_at: datetime


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_type: ReportTarget
    target_id: int
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    target_type: ReportTarget
    target_id: int
    reason: str
    status: ReportStatus
    created_at: datetime
    resolved_at: datetime | None
    resolution_note: str | None


class ReportResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["upheld", "dismissed"]
    note: Annotated[str, Field(max_length=2000)] = ""
