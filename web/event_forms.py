"""The publish/edit form of an event: what the organiser typed (kept as typed, to show it again), the
conversion to the API's schema (`EventIn`, the same checks as `POST /api/v1/events`), and one French
message per field in error, all in one round. Its programme is web/programme_form.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import ValidationError
from starlette.datastructures import FormData

from service.api.datetimes import as_utc
from service.events.models import Event, EventKind
from service.events.schemas import EventIn, SessionIn
from web.params import form_text
from web.programme_form import (
    SessionForm,
    field_label,
    flat_values,
    read_programme,
    service_field,
    to_sessions,
)

FIELDS = (
    "title", "kind", "start_date", "start_time", "end_date", "end_time", "timezone", "territory_code",
    "address", "online_url", "organisation_id", "description",
)  # fmt: skip
FIELD_LABELS = {
    "title": "Titre",
    "kind": "Sorte d'événement",
    "start_date": "Date de début",
    "start_time": "Heure de début",
    "end_date": "Date de fin",
    "end_time": "Heure de fin",
    "timezone": "Fuseau horaire",
    "territory_code": "Territoire du lieu",
    "address": "Adresse",
    "online_url": "Lien en ligne",
    "organisation_id": "Organisation organisatrice",
    "description": "Présentation",
    "form": "Formulaire",
}
LIMITS = {"description": 50_000, "online_url": 500, "address": 300}
COMMON_TIMEZONES = (
    "Europe/Paris", "America/Guadeloupe", "America/Martinique", "America/Cayenne", "Indian/Reunion",
    "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti", "America/Miquelon", "UTC",
)  # fmt: skip
# Where the service's messages point (its field names) -> the form's field.
_SERVICE_FIELDS = {"starts_at": "start_date", "ends_at": "end_date"}
_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce champ est obligatoire.",
    "string_pattern_mismatch": "Ce champ est obligatoire.",
    "enum": "Choisissez une valeur dans la liste.",
    "url_parsing": "L'adresse doit commencer par https:// ou http:// (par exemple https://exemple.fr).",
    "url_scheme": "L'adresse doit commencer par https:// ou http://.",
}


@dataclass
class EventForm:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    programme: list[SessionForm] = field(default_factory=list)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def set_programme(self, programme: list[SessionForm]) -> None:
        """The sessions, and their text fields under their names (for the field macros)."""
        self.programme = programme
        self.values = {k: v for k, v in self.values.items() if k in FIELDS} | flat_values(programme)

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field, its label, message) for the summary at the top of the form."""
        return [(n, FIELD_LABELS.get(n) or field_label(n) or n, m) for n, m in self.errors.items()]

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def empty_form(organisation_id: int | None) -> EventForm:
    values = {"kind": EventKind.regional_meeting.value, "timezone": "Europe/Paris"}
    values.update(start_time="09:00", end_time="17:00")
    if organisation_id is not None:
        values["organisation_id"] = str(organisation_id)
    return EventForm(values=values)


def form_from_event(event: Event, programme: list[SessionForm]) -> EventForm:
    zone = ZoneInfo(event.timezone)
    starts, ends = as_utc(event.starts_at).astimezone(zone), as_utc(event.ends_at).astimezone(zone)
    ef = EventForm(
        values={
            "title": event.title,
            "kind": event.kind.value,
            "start_date": starts.date().isoformat(),
            "start_time": starts.strftime("%H:%M"),
            "end_date": ends.date().isoformat(),
            "end_time": ends.strftime("%H:%M"),
            "timezone": event.timezone,
            "territory_code": event.territory.code if event.territory else "",
            "address": event.address,
            "online_url": event.online_url or "",
            "organisation_id": str(event.organisation_id),
            "description": event.description,
        }
    )
    ef.set_programme(programme)
    return ef


def read_form(form: FormData) -> EventForm:
    # One character over the limit: a text too long is told, not cut.
    ef = EventForm(values={name: form_text(form, name, LIMITS.get(name, 200) + 1) for name in FIELDS})
    ef.set_programme(read_programme(form))
    return ef


def _zone(ef: EventForm) -> ZoneInfo | None:
    name = ef.value("timezone").strip()
    if not name:
        ef.error("timezone", "Ce champ est obligatoire.")
        return None
    try:
        if name not in available_timezones():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        ef.error("timezone", f"Fuseau horaire inconnu : « {name[:60]} » (par exemple Europe/Paris).")
        return None


def _moment(ef: EventForm, day_field: str, time_field: str, zone: ZoneInfo | None) -> datetime | None:
    day_text, time_text = ef.value(day_field).strip(), ef.value(time_field).strip()
    day: date | None = None
    at: time | None = None
    if not day_text:
        ef.error(day_field, "Ce champ est obligatoire.")
    else:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            ef.error(day_field, "Date invalide : utilisez le format AAAA-MM-JJ.")
    if not time_text:
        ef.error(time_field, "Ce champ est obligatoire.")
    else:
        try:
            at = time.fromisoformat(time_text)
        except ValueError:
            ef.error(time_field, "Heure invalide : utilisez le format HH:MM.")
    if day is None or at is None or zone is None:
        return None
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)


def _message(err: Any) -> str:
    kind = str(err.get("type", ""))
    if kind == "string_too_long":
        return f"Ce texte est trop long : {(err.get('ctx') or {}).get('max_length')} caractères au plus."
    return _MESSAGES.get(kind, "Valeur invalide.")


def to_schema(ef: EventForm, *, account_of: Callable[[str], int | None]) -> EventIn | None:
    """The API schema for this form and its programme, or None with `ef.errors` filled in.
    `account_of` gives the account of a speaker's @handle."""
    zone = _zone(ef)
    programme: list[SessionIn] = to_sessions(ef.programme, zone, account_of, ef.error, _message)
    starts_at = _moment(ef, "start_date", "start_time", zone)
    ends_at = _moment(ef, "end_date", "end_time", zone)
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        ef.error("end_date", "La fin précède le début.")
    organisation = ef.value("organisation_id").strip()
    if not organisation.isdigit() or len(organisation) > 9:
        ef.error("organisation_id", "Choisissez l'organisation organisatrice dans la liste.")
    data: dict[str, Any] = {
        "title": ef.value("title"),
        "kind": ef.value("kind"),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": ef.value("timezone").strip(),
        "territory_code": ef.value("territory_code").strip() or None,
        "address": ef.value("address"),
        "online_url": ef.value("online_url").strip() or None,
        "organisation_id": int(organisation) if organisation.isdigit() and len(organisation) <= 9 else 1,
        "description": ef.value("description"),
        "sessions": programme,
    }
    try:
        result = EventIn.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str((err.get("loc") or ("form",))[0])
            if name in ("starts_at", "ends_at", "sessions"):
                continue  # told above, on the date and time fields, and on each session's
            ef.error(_SERVICE_FIELDS.get(name, name), _message(err))
        return None
    return None if ef.errors else result


def service_error_field(name: str | None) -> str:
    """The form field a service error (InvalidFieldError.field) belongs to."""
    if not name:
        return "form"
    return _SERVICE_FIELDS.get(name) or service_field(name) or (name if name in FIELD_LABELS else "form")
