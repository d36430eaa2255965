from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.discussions.models import EmailFrequency, FollowTarget

DELETED_AUTHOR = "membre supprimé"


class ThreadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[
        str, Field(max_length=400, examples=["Comment avez-vous rédigé le cahier des charges ?"])
    ]
    body: Annotated[str, Field(max_length=1_000_000, description="Markdown (nettoyé à l'affichage).")]
    case_study_id: int | None = Field(default=None, description="La discussion porte sur cette expérience…")
    theme: Annotated[str | None, Field(max_length=80, description="… ou sur ce thème (slug).")] = None


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(max_length=400)]
    body: Annotated[str, Field(max_length=1_000_000)]


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[
        str, Field(max_length=1_000_000, description="Markdown ; @prenom-nom mentionne un membre.")
    ]
    reply_to_id: int | None = Field(default=None, description="Le message cité, dans la même discussion.")


class PostUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, Field(max_length=1_000_000)]


class PostModeration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hidden: bool
    reason: Annotated[str, Field(max_length=2000)] = ""


class PostOut(BaseModel):
    id: int
    thread_id: int
    author: str
    body: str = Field(description="Vide si le message est supprimé ou masqué.")
    reply_to_id: int | None
    created_at: datetime
    edited: bool
    deleted: bool
    hidden: bool
    hidden_reason: str | None


class ThreadOut(BaseModel):
    id: int
    title: str
    case_study_id: int | None
    theme_id: int | None
    private: bool
    locked: bool
    author: str
    post_count: int
    created_at: datetime
    last_post_at: datetime


class FollowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_type: FollowTarget
    target_id: int


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    text: str
    url: str
    created_at: datetime
    read_at: datetime | None


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email_frequency: EmailFrequency
