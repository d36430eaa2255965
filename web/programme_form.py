"""The programme part of the event form: its sessions (title, kind, times in the event's time zone,
description, themes, speakers, experiences presented) read from indexed fields (`s0-title`,
`s0-p1-name`…), the buttons that add, remove and move sessions and speakers (plain submit buttons: the
form comes back changed, nothing saved), and the conversion to the API's `SessionIn` with one French
message per field, next to it. The rules are SessionIn's and the service's; nothing is checked twice."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.datastructures import FormData

from service.api.datetimes import as_utc
from service.events.models import SessionKind
from service.events.schemas import SessionIn
from web.params import form_text

MAX_SESSIONS, MAX_SPEAKERS, MAX_CASES = 40, 30, 30
SESSION_LABELS = {
    "title": "titre",
    "kind": "sorte",
    "start": "début",
    "end": "fin",
    "description": "présentation",
    "themes": "thèmes",
    "cases": "expériences présentées",
}
SPEAKER_LABELS = {"name": "nom", "organisation": "organisation", "account": "compte Retex"}
_ACTION = re.compile(
    r"(add-session|remove-session|up|down|add-speaker|remove-speaker|search)(?:-(\d+))?(?:-(\d+))?"
)
# Where SessionIn's and the service's field names land in the form.
_SESSION_FIELDS = {"starts_at": "start", "ends_at": "end", "case_study_ids": "cases"}
_SPEAKER_FIELDS = {"user_id": "account", "name": "name", "organisation": "organisation"}
_LOCAL = "%Y-%m-%dT%H:%M"  # the value of an <input type="datetime-local">


@dataclass
class SpeakerForm:
    name: str = ""
    organisation: str = ""
    account: str = ""  # an @handle


@dataclass
class SessionForm:
    title: str = ""
    kind: str = SessionKind.round_table.value
    start: str = ""
    end: str = ""
    description: str = ""
    themes: list[str] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    speakers: list[SpeakerForm] = field(default_factory=list)
    case_q: str = ""  # the title search of the experiences to add


def read_programme(form: FormData) -> list[SessionForm]:
    sessions = []
    for i in range(MAX_SESSIONS):
        p = f"s{i}-"
        if p + "title" not in form:
            continue
        speakers = [
            SpeakerForm(
                name=form_text(form, f"{p}p{j}-name", 201),
                organisation=form_text(form, f"{p}p{j}-organisation", 301),
                account=form_text(form, f"{p}p{j}-account", 131).strip().lstrip("@"),
            )
            for j in range(MAX_SPEAKERS)
            if f"{p}p{j}-name" in form
        ]
        cases = [
            int(v) for v in form.getlist(p + "cases") if isinstance(v, str) and v.isdigit() and len(v) < 10
        ]
        sessions.append(
            SessionForm(
                title=form_text(form, p + "title", 201),
                kind=form_text(form, p + "kind", 20),
                start=form_text(form, p + "start", 20).strip(),
                end=form_text(form, p + "end", 20).strip(),
                description=form_text(form, p + "description", 50_001),
                themes=[v for v in form.getlist(p + "themes") if isinstance(v, str)][:20],
                cases=list(dict.fromkeys(cases))[:MAX_CASES],
                speakers=speakers,
                case_q=form_text(form, p + "case-q", 100).strip(),
            )
        )
    return sessions


def apply_action(sessions: list[SessionForm], action: str) -> int | None:
    """Change the programme as the button pressed says; the index of the session to bring the reader
    back to, or None for an unknown button."""
    match = _ACTION.fullmatch(action)
    if match is None:
        return None
    verb, i, j = match.group(1), int(match.group(2) or 0), int(match.group(3) or 0)
    if verb == "add-session":
        if len(sessions) < MAX_SESSIONS:
            sessions.append(SessionForm())
        return len(sessions) - 1
    if i >= len(sessions):
        return None
    if verb == "remove-session":
        del sessions[i]
        return min(i, len(sessions) - 1) if sessions else None
    if verb in ("up", "down"):
        k = i - 1 if verb == "up" else i + 1
        if 0 <= k < len(sessions):
            sessions[i], sessions[k] = sessions[k], sessions[i]
            return k
        return i
    speakers = sessions[i].speakers
    if verb == "add-speaker" and len(speakers) < MAX_SPEAKERS:
        speakers.append(SpeakerForm())
    elif verb == "remove-speaker" and j < len(speakers):
        del speakers[j]
    return i  # "search": the search field already holds the words; the page shows what it found


def session_forms(sessions: list[SessionIn], zone: ZoneInfo, handles: dict[int, str]) -> list[SessionForm]:
    """The form of a programme already saved (the API's shape of it)."""

    def local(value: datetime | None) -> str:
        return as_utc(value).astimezone(zone).strftime(_LOCAL) if value else ""

    return [
        SessionForm(
            title=s.title,
            kind=s.kind.value,
            start=local(s.starts_at),
            end=local(s.ends_at),
            description=s.description,
            themes=list(s.themes),
            cases=list(s.case_study_ids),
            speakers=[
                SpeakerForm(
                    name=p.name or "",
                    organisation=p.organisation,
                    account=handles.get(p.user_id, "") if p.user_id else "",
                )
                for p in s.speakers
            ],
        )
        for s in sessions
    ]


def flat_values(sessions: list[SessionForm]) -> dict[str, str]:
    """The text fields under their names, for the form's field macros."""
    values: dict[str, str] = {}
    for i, s in enumerate(sessions):
        p = f"s{i}-"
        values |= {p + "title": s.title, p + "kind": s.kind, p + "start": s.start, p + "end": s.end}
        values |= {p + "description": s.description, p + "case-q": s.case_q}
        for j, sp in enumerate(s.speakers):
            values |= {f"{p}p{j}-name": sp.name, f"{p}p{j}-organisation": sp.organisation}
            values[f"{p}p{j}-account"] = sp.account
    return values


def field_label(name: str) -> str | None:
    """« Session 2, intervenant 1 : nom » for `s1-p0-name`; None for a field outside the programme."""
    match = re.fullmatch(r"s(\d+)-(?:p(\d+)-)?([a-z-]+)", name)
    if match is None:
        return None
    i, j, part = match.groups()
    where = f"Session {int(i) + 1}"
    if j is not None:
        return f"{where}, intervenant {int(j) + 1} : {SPEAKER_LABELS.get(part, part)}"
    return f"{where} : {SESSION_LABELS.get(part, part)}"


def service_field(name: str) -> str | None:
    """The form field of a service error on `sessions.1.speakers.0.name` (or `themes`), else None."""
    parts = name.split(".")
    if parts[0] != "sessions" or len(parts) < 3 or not parts[1].isdigit():
        return None
    base = f"s{parts[1]}-"
    if parts[2] == "speakers" and len(parts) >= 5 and parts[3].isdigit():
        return f"{base}p{parts[3]}-{_SPEAKER_FIELDS.get(parts[4], 'name')}"
    return base + _SESSION_FIELDS.get(parts[2], parts[2])


def _moment(text: str, zone: ZoneInfo | None) -> datetime | None:
    if not text or zone is None:
        return None
    return datetime.strptime(text[:16], _LOCAL).replace(tzinfo=zone)


def to_sessions(
    sessions: list[SessionForm],
    zone: ZoneInfo | None,
    account_of: Callable[[str], int | None],
    error: Callable[[str, str], None],
    message: Callable[[Any], str],
) -> list[SessionIn]:
    """The programme as the API's `SessionIn`s; each refusal goes to `error(field, message)`."""
    result = []
    for i, s in enumerate(sessions):
        p = f"s{i}-"
        data: dict[str, Any] = {
            "title": s.title,
            "kind": s.kind,
            "description": s.description,
            "themes": s.themes,
            "case_study_ids": s.cases,
        }
        for name, text in (("starts_at", s.start), ("ends_at", s.end)):
            try:
                data[name] = _moment(text, zone)
            except ValueError:
                error(
                    p + _SESSION_FIELDS[name],
                    "Date et heure invalides : utilisez le format AAAA-MM-JJ HH:MM.",
                )
        # A row added and left blank is dropped (before numbering, so errors point to the rows shown).
        s.speakers = [sp for sp in s.speakers if sp.name.strip() or sp.organisation.strip() or sp.account]
        speakers = []
        for j, sp in enumerate(s.speakers):
            user_id = account_of(sp.account) if sp.account else None
            if sp.account and user_id is None:
                error(f"{p}p{j}-account", f"Aucun compte actif n'a l'identifiant « @{sp.account[:60]} ».")
            speakers.append(
                {"user_id": user_id, "name": sp.name.strip() or None, "organisation": sp.organisation}
            )
        data["speakers"] = speakers
        try:
            result.append(SessionIn.model_validate(data))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(x) for x in err.get("loc") or ()]
                where = service_field(".".join(["sessions", str(i), *loc])) if loc else None
                error(where or p + "title", message(err))
    return result
