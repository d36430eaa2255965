from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.datetimes import UtcDateTime
from service.api.text import visible_pattern
from service.casestudies.models import PublicationState
from service.moderation.models import HistoryEvent, ReportStatus, ReportTarget, RevisionStatus


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
    event: HistoryEvent = Field(
        default=HistoryEvent.state,
        description="`state` : changement de publication ; `edit` : modification appliquée directement ; "
        "`revision_proposed` / `revision_approved` / `revision_rejected` : modification d'une expérience "
        "publiée, proposée puis relue.",
    )
    revision_id: int | None = Field(
        default=None, description="La modification concernée (voir `/revisions`)."
    )


class RevisionOut(BaseModel):
    id: int
    case_study_id: int
    status: RevisionStatus
    author: str | None = Field(description="Qui l'a proposée (absent : opérateur ou compte supprimé).")
    changes: dict[str, Any] = Field(
        description="Les champs modifiés, avec leur nouvelle valeur (comme un PATCH)."
    )
    previous: dict[str, Any] = Field(description="Leur valeur au moment de la modification.")
    created_at: UtcDateTime
    decided_at: UtcDateTime | None
    decided_by: str | None
    reason: str | None


class RevisionDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"decision": {"const": "rejected"}}, "required": ["decision"]},
            "then": {
                "required": ["reason"],
                "properties": {"reason": {"type": "string", "pattern": visible_pattern(10)}},
            },
        },
    )

    decision: Literal["approved", "rejected"]
    reason: Annotated[str | None, Field(max_length=2000)] = Field(
        default=None, description="Obligatoire pour un refus : les auteurs le reçoivent."
    )


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
