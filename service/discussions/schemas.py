from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.api.datetimes import UtcDateTime
from service.api.text import visible_pattern
from service.discussions.models import EmailFrequency, FollowTarget

DELETED_AUTHOR = "membre supprimé"
# What the service checks, said in the schema so that clients (and the fuzzer) know it: a title has at
# least 5 visible characters, a message at least one (neither a space nor a NUL).
TITLE_PATTERN = visible_pattern(5)
BODY_PATTERN = visible_pattern(1)
MAX_BODY = 20_000  # RETEX_MAX_POST_CHARS by default

Title = Annotated[
    str,
    Field(
        max_length=200, pattern=TITLE_PATTERN, examples=["Comment avez-vous rédigé le cahier des charges ?"]
    ),
]
Body = Annotated[
    str,
    Field(
        max_length=MAX_BODY,
        pattern=BODY_PATTERN,
        description="Markdown (nettoyé à l'affichage) ; @prenom-nom mentionne un membre.",
    ),
]


class ThreadIn(BaseModel):
    """A discussion in a theme (a question on a case goes to /case-studies/{id}/threads)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body
    theme: Annotated[str, Field(max_length=80, description="Le thème (slug), voir /themes.")]


class CaseThreadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body
    reply_to_id: int | None = Field(
        default=None, ge=1, le=2_147_483_647, description="Le message cité, dans la même discussion."
    )


class PostUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class PostModeration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hidden: bool
    reason: Annotated[str, Field(max_length=2000, description="Montré à la place du message masqué.")] = ""


class PostOut(BaseModel):
    id: int
    thread_id: int
    author: str
    body: str = Field(description="Vide si le message est supprimé ou masqué.")
    reply_to_id: int | None
    created_at: UtcDateTime
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
    created_at: UtcDateTime
    last_post_at: UtcDateTime
    updated_at: UtcDateTime = Field(description="Dernière modification (voir `updated_since`).")


class FollowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_type: FollowTarget
    target_id: int = Field(ge=1, le=2_147_483_647)


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    text: str
    url: str
    created_at: UtcDateTime
    read_at: UtcDateTime | None


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email_frequency: EmailFrequency


class UnreadCount(BaseModel):
    unread: int
