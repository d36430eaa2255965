"""Numeric ids as the API accepts them: positive and within the database's integer range, so a huge
number is a clear 422 instead of an overflow deep in the driver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2_147_483_647  # SQL INTEGER

DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant numérique de l'expérience.")]
OrganisationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de l'organisation.")]
SoftwareId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du logiciel.")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du compte.")]
KeyId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de la clé d'API.")]
RevisionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de la modification.")]
ReportId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du signalement.")]
ThreadId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de la discussion.")]
PostId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du message.")]
EventId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de l'événement.")]
WebhookId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant du webhook.")]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant de l'envoi (`id` du journal).")]
DbIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifiant numérique.")]
