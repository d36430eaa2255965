from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.datetimes import UtcDateTime
from service.api.text import visible_pattern
from service.casestudies.models import PublicationState
from service.moderation.models import ReportStatus, ReportTarget


class TransitionIn(BaseModel):
    # A refusal needs its reason (10 visible characters): said in the schema too.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"to": {"const": "rejected"}}, "required": ["to"]},
            "then": {
                "required": ["reason"],
                "properties": {"reason": {"type": "string", "pattern": visible_pattern(10)}},
            },
        },
    )

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
    created_at: UtcDateTime


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_type: ReportTarget
    target_id: int = Field(ge=1, le=2_147_483_647)
    reason: Annotated[
        str, Field(max_length=2000, pattern=visible_pattern(5), description="5 caractères au moins.")
    ]


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    target_type: ReportTarget
    target_id: int
    reason: str
    status: ReportStatus
    created_at: UtcDateTime
    resolved_at: UtcDateTime | None
    resolution_note: str | None


class ReportResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["upheld", "dismissed"]
    note: Annotated[str, Field(max_length=2000)] = ""
