"""Bulk, idempotent upsert of plain rows keyed by a natural key (fast enough for 35k communes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from seeds.report import StepReport

CHUNK = 2000


def upsert_rows(
    session: Session,
    model: type[Any],
    key: InstrumentedAttribute[Any],
    rows: Iterable[dict[str, Any]],
    report: StepReport,
    on_progress: Callable[[int], None] | None = None,
) -> dict[Any, int]:
    """Insert rows whose key is new, update those that differ; return key -> id for every row."""
    columns = None
    existing: dict[Any, dict[str, Any]] = {}
    rows = list(rows)
    if rows:
        columns = [getattr(model, c) for c in rows[0]]
        for record in session.execute(select(model.id, *columns)).mappings():
            existing[record[key.key]] = dict(record)
    to_insert: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    for row in rows:
        current = existing.get(row[key.key])
        if current is None:
            to_insert.append(row)
        elif any(current[c] != v for c, v in row.items()):
            to_update.append({"id": current["id"], **row})
        else:
            report.unchanged += 1
    for start in range(0, len(to_insert), CHUNK):
        chunk = to_insert[start : start + CHUNK]
        session.execute(insert(model), chunk)
        if on_progress:
            on_progress(len(chunk))
    for start in range(0, len(to_update), CHUNK):
        chunk = to_update[start : start + CHUNK]
        session.execute(update(model), chunk)
        if on_progress:
            on_progress(len(chunk))
    report.inserted += len(to_insert)
    report.updated += len(to_update)
    session.flush()
    return {k: i for k, i in session.execute(select(key, model.id))}
