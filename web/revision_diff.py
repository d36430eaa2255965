"""A side-by-side diff of a case revision, field by field, with French labels (for /moderation and the
case page). Built on the server with difflib; the template escapes every line (user content)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, Literal

from sqlalchemy.orm import Session

from service.casestudies.models import CaseStudy
from service.casestudies.schemas import STATUS_LABELS
from service.moderation.models import CaseRevision
from service.moderation.revisions import EDITABLE, snapshot
from service.organisations.models import Organisation
from service.search.labels import theme_labels
from service.software.catalogue import software_names
from web.forms import FIELD_LABELS

Kind = Literal["same", "changed", "removed", "added", "gap"]
CONTEXT = 2  # unchanged lines kept around a change; longer unchanged runs fold into « … »


@dataclass(frozen=True)
class Part:
    text: str
    changed: bool


@dataclass(frozen=True)
class Row:
    before: str | None
    after: str | None
    kind: Kind

    def parts(self) -> tuple[list[Part], list[Part]]:
        """Both sides of a changed line cut into words, the changed ones marked: a link slipped into a
        long paragraph stands out instead of the whole paragraph."""
        return _word_parts(self.before or "", self.after or "")


_WORDS = re.compile(r"\s+|[^\s]+")


def _word_parts(before: str, after: str) -> tuple[list[Part], list[Part]]:
    left, right = _WORDS.findall(before), _WORDS.findall(after)
    old: list[Part] = []
    new: list[Part] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if i2 > i1:
            old.append(Part("".join(left[i1:i2]), tag != "equal"))
        if j2 > j1:
            new.append(Part("".join(right[j1:j2]), tag != "equal"))
    return old, new


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    rows: list[Row]


def _readable(db: Session, name: str, value: Any) -> str:
    """A field's value as text lines, names instead of ids."""
    if value is None or value == [] or value == "":
        return ""
    if name == "themes":
        labels = theme_labels(db)
        return "\n".join(labels.get(slug, slug) for slug in value)
    if name == "software_ids":
        names = dict(software_names(db, ids=value))
        return "\n".join(names.get(i, f"logiciel n° {i}") for i in value)
    if name == "organisation_id":
        org = db.get(Organisation, value)
        return org.name if org else f"organisation n° {value}"
    if name == "territory_codes":
        return "\n".join(value)
    if name == "links":
        return "\n".join(f"{link['label']} | {link['url']}" for link in value)
    if name == "status":
        return next((label for s, label in STATUS_LABELS.items() if s.value == value), str(value))
    return str(value)


def _rows(before: str, after: str) -> list[Row]:
    left, right = before.split("\n") if before else [], after.split("\n") if after else []
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if tag == "equal":
            same = [Row(line, line, "same") for line in left[i1:i2]]
            if len(same) > 2 * CONTEXT + 1:
                same = [*same[:CONTEXT], Row("…", "…", "gap"), *same[-CONTEXT:]]
            rows.extend(same)
        elif tag == "delete":
            rows.extend(Row(line, None, "removed") for line in left[i1:i2])
        elif tag == "insert":
            rows.extend(Row(None, line, "added") for line in right[j1:j2])
        else:
            rows.extend(Row(a, b, "changed") for a, b in zip_longest(left[i1:i2], right[j1:j2]))
    return rows


def revision_diff(db: Session, case: CaseStudy, revision: CaseRevision) -> list[FieldDiff]:
    """What the revision changes against the text readers see now (which may differ from what it was
    when the revision was written: a moderator sees exactly what approving would replace)."""
    current = snapshot(case)
    diffs = []
    for name in EDITABLE:
        if name not in revision.changes or revision.changes[name] == current.get(name):
            continue
        before = _readable(db, name, current.get(name))
        after = _readable(db, name, revision.changes[name])
        diffs.append(FieldDiff(name=name, label=FIELD_LABELS.get(name, name), rows=_rows(before, after)))
    return diffs
