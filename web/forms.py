"""The publish/edit form of a case study: what the person typed (kept as typed, to show it again),
the conversion to the API's schemas, and one French message per field in error."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from service.api.errors import InvalidFieldError
from service.casestudies import service as case_service
from service.casestudies.models import CaseStudy
from service.casestudies.schemas import CaseStudyCreate, CaseStudyUpdate
from service.moderation.models import CaseRevision
from service.moderation.revisions import pending_values

SECTION_FIELDS = ("context", "solution", "results", "resources", "transferability")
TEXT_FIELDS = (
    "title", "summary", *SECTION_FIELDS, "budget_eur", "staff_fte", "funding", "procurement_route",
    "partners", "status", "started_on", "ended_on", "territory_codes", "organisation_id", "links", "licence",
)  # fmt: skip
LIST_FIELDS = ("themes", "software_ids")
FIELD_LABELS = {
    "title": "Titre",
    "summary": "Résumé",
    "context": "Contexte",
    "solution": "Solution mise en œuvre",
    "results": "Résultats",
    "resources": "Moyens mobilisés",
    "transferability": "Transférabilité",
    "budget_eur": "Budget",
    "staff_fte": "Équipe",
    "funding": "Financements",
    "procurement_route": "Mode d'achat",
    "partners": "Partenaires",
    "status": "État du projet",
    "started_on": "Date de début",
    "ended_on": "Date de fin",
    "themes": "Thèmes",
    "territory_codes": "Territoires concernés",
    "software_ids": "Logiciels utilisés",
    "organisation_id": "Organisation",
    "links": "Liens",
    "licence": "Licence",
    "publication_state": "Publication",
    "form": "Formulaire",
}
ACTIONS = {"draft": "draft", "submit": "submitted", "publish": "published"}
MAX_FIELD_CHARS = 200_000  # the body limit already bounds the whole form
MAX_URL_CHARS = 1000  # the column's size (case_links.url)
_CODE_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class CaseForm:
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def chosen(self, name: str) -> list[str]:
        return self.lists.get(name, [])

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def empty_form() -> CaseForm:
    return CaseForm(values={"status": "idea", "licence": "etalab-2.0"}, lists={})


def form_from_draft(data: CaseStudyCreate) -> CaseForm:
    """The form prefilled from a draft built elsewhere (e.g. from a funded project)."""
    cf = empty_form()
    cf.values |= {name: getattr(data, name) or "" for name in ("title", "summary", *SECTION_FIELDS)}
    cf.values |= {
        "budget_eur": "" if data.budget_eur is None else str(data.budget_eur),
        "funding": data.funding or "",
        "status": data.status.value,
        "territory_codes": ", ".join(data.territory_codes),
        "licence": data.licence,
    }
    return cf


def form_from_case(case: CaseStudy, pending: CaseRevision | None = None) -> CaseForm:
    """The form as its authors left it: the published case, plus their edit waiting for review."""
    v = pending_values(case, pending)
    values = {name: v[name] or "" for name in ("title", "summary", *SECTION_FIELDS)}
    values |= {
        "budget_eur": "" if v["budget_eur"] is None else str(v["budget_eur"]),
        "staff_fte": "" if v["staff_fte"] is None else f"{v['staff_fte']:g}".replace(".", ","),
        "funding": v["funding"] or "",
        "procurement_route": v["procurement_route"] or "",
        "partners": v["partners"] or "",
        "status": v["status"],
        "started_on": v["started_on"] or "",
        "ended_on": v["ended_on"] or "",
        "territory_codes": ", ".join(v["territory_codes"]),
        "organisation_id": str(v["organisation_id"] or ""),
        "links": "\n".join(f"{link['label']} | {link['url']}" for link in v["links"]),
        "licence": v["licence"],
    }
    lists = {"themes": list(v["themes"]), "software_ids": [str(i) for i in v["software_ids"]]}
    return CaseForm(values=values, lists=lists)


def read_form(form: FormData) -> CaseForm:
    values = {}
    for name in TEXT_FIELDS:
        raw = form.get(name)
        text = raw[:MAX_FIELD_CHARS].replace("\r\n", "\n") if isinstance(raw, str) else ""
        values[name] = text.replace("\x00", "")  # PostgreSQL refuses NUL in text
    lists = {
        name: [v[:100].replace("\x00", "") for v in form.getlist(name) if isinstance(v, str) and v][:60]
        for name in LIST_FIELDS
    }
    return CaseForm(values=values, lists=lists)


def _number(cf: CaseForm, name: str, *, integer: bool) -> int | float | None:
    text = re.sub(r"[\s\u00a0\u202f€]", "", cf.value(name)).replace(",", ".")
    if not text:
        return None
    try:
        return int(text) if integer else float(text)
    except ValueError:
        cf.error(
            name,
            "Indiquez un montant en euros, en chiffres (par exemple : 25000)."
            if integer
            else "Indiquez un nombre, par exemple 1,5.",
        )
        return None


def _date(cf: CaseForm, name: str) -> date | None:
    text = cf.value(name).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        cf.error(name, "Date invalide : choisissez une date, ou tapez-la au format AAAA-MM-JJ.")
        return None


def _int_or_none(cf: CaseForm, name: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        cf.error(name, "Choisissez une valeur dans la liste.")
        return None
    return int(text)


_URL_START = re.compile(r"https?://", re.IGNORECASE)


def _split_link(line: str) -> tuple[str, str]:
    """« libellé | adresse », « libellé : adresse » or a bare address: the address starts at its scheme
    (a « | » inside the address stays in it); without a scheme, what follows the last « | »."""
    found = _URL_START.search(line)
    if found is not None:
        label, url = line[: found.start()], line[found.start() :]
    else:
        label, sep, url = line.rpartition("|")
        if not sep:
            label, url = "", line
    return label.strip().rstrip("|:-–").strip(), url.strip()


def _links(cf: CaseForm) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    for line in cf.value("links").split("\n"):
        line = line.strip()
        if not line:
            continue
        label, url = _split_link(line)
        if len(url) > MAX_URL_CHARS:
            cf.error("links", f"Lien ligne {len(links) + 1} : l'adresse dépasse {MAX_URL_CHARS} caractères.")
        links.append({"label": label.strip() or url[:200], "url": url})
    return links


_MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce champ est obligatoire.",
    "greater_than_equal": "La valeur ne peut pas être négative.",
    "less_than_equal": "La valeur est trop grande.",
    "literal_error": "Choisissez une valeur dans la liste.",
    "enum": "Choisissez une valeur dans la liste.",
    "date_from_datetime_parsing": "Date invalide : utilisez le format AAAA-MM-JJ.",
    "date_parsing": "Date invalide : utilisez le format AAAA-MM-JJ.",
    "int_parsing": "Choisissez une valeur dans la liste.",
    "extra_forbidden": "Champ inconnu.",
}


def _message(err: Any) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    loc = err.get("loc") or ()
    if kind == "string_too_long":
        return f"Ce texte est trop long : {ctx.get('max_length')} caractères au plus."
    if kind == "too_long":
        return f"Trop d'éléments : {ctx.get('max_length')} au plus."
    if loc and loc[0] == "links":
        line = loc[1] + 1 if len(loc) > 1 and isinstance(loc[1], int) else None
        where = f"ligne {line} : " if line else ""
        if len(loc) > 2 and loc[2] == "label":
            return f"Lien {where}le libellé fait au plus 200 caractères."
        given = err.get("input")
        url = given if isinstance(given, str) else ""
        if _URL_START.match(url):  # it has the scheme: something else in it is wrong
            return f"Lien {where}l'adresse « {url[:80]} » n'est pas valide (espace ou caractère interdit ?)."
        return (
            f"Lien {where}l'adresse doit commencer par https:// ou http:// (par exemple https://exemple.fr)."
        )
    if kind == "value_error" and loc and loc[0] == "ended_on":
        return "La date de fin précède la date de début."
    return _MESSAGES.get(kind, "Valeur invalide.")


def check_references(db: Session, cf: CaseForm) -> None:
    """The territories, themes and software the form names exist: their errors join the others, so the
    author fixes everything in one round."""
    codes = [c for c in _CODE_SPLIT.split(cf.value("territory_codes")) if c]
    software = [int(v) for v in cf.chosen("software_ids") if v.isdigit() and len(v) < 10]
    checks: list[Callable[[], object]] = []
    if codes:
        checks.append(lambda: case_service.resolve_territories(db, codes))
    if cf.chosen("themes"):
        checks.append(lambda: case_service.resolve_themes(db, cf.chosen("themes")))
    if software:
        checks.append(lambda: case_service.resolve_software(db, software))
    for check in checks:
        try:
            check()
        except InvalidFieldError as exc:
            message = exc.message[:1].upper() + exc.message[1:]
            cf.error(exc.field or "form", message if message.endswith(".") else message + ".")


def to_schema(cf: CaseForm, *, publication_state: str, update: bool) -> BaseModel | None:
    """The API schema for this form, or None with `cf.errors` filled in (all errors at once)."""
    data: dict[str, Any] = {name: cf.value(name).strip() for name in ("title", "summary", *SECTION_FIELDS)}
    for name in ("funding", "procurement_route", "partners"):
        data[name] = cf.value(name).strip() or None
    data["budget_eur"] = _number(cf, "budget_eur", integer=True)
    data["staff_fte"] = _number(cf, "staff_fte", integer=False)
    data["started_on"] = _date(cf, "started_on")
    data["ended_on"] = _date(cf, "ended_on")
    data["status"] = cf.value("status") or "idea"
    data["licence"] = cf.value("licence") or "etalab-2.0"
    data["themes"] = cf.chosen("themes")
    data["territory_codes"] = [c for c in _CODE_SPLIT.split(cf.value("territory_codes")) if c]
    data["software_ids"] = [
        n for v in cf.chosen("software_ids") if (n := _int_or_none(cf, "software_ids", v))
    ]
    data["organisation_id"] = _int_or_none(cf, "organisation_id", cf.value("organisation_id"))
    data["links"] = _links(cf)
    data["publication_state"] = publication_state
    schema: type[BaseModel] = CaseStudyUpdate if update else CaseStudyCreate
    try:
        result = schema.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = err.get("loc") or ("form",)
            cf.error(str(loc[0]), _message(err))
        return None
    if update and not data["title"]:  # an update accepts a missing title, the form does not
        cf.error("title", "Ce champ est obligatoire.")
    if update and not data["summary"]:
        cf.error("summary", "Ce champ est obligatoire.")
    return None if cf.errors else result
