"""Export rows -> JSON Lines or CSV text, one line (or record) at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

CSV_COLUMNS = (
    "id",
    "slug",
    "url",
    "title",
    "summary",
    "status",
    "started_on",
    "ended_on",
    "published_at",
    "updated_at",
    "themes",
    "territory_codes",
    "territory_names",
    "software",
    "organisation",
    "licence",
    "licence_name",
    "licence_url",
    "attribution",
    "source_url",
    "source",
    "source_date",
    "scope",
    "completeness",
    "context",
    "solution",
    "results",
    "resources",
    "transferability",
)
LIST_SEPARATOR = " | "  # several values in one CSV cell (themes, territories, software)


CHUNK_BYTES = 64_000  # lines are sent in chunks of about this size: few messages, bounded memory


def jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    chunk: list[bytes] = []
    size = 0
    for row in rows:
        line = json.dumps(row, ensure_ascii=False).encode() + b"\n"
        chunk.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(chunk)
            chunk, size = [], 0
    yield b"".join(chunk)


def csv_record(row: dict[str, Any]) -> dict[str, Any]:
    record = {k: row.get(k) for k in CSV_COLUMNS if k in row}
    record["themes"] = LIST_SEPARATOR.join(row["themes"])
    record["territory_codes"] = LIST_SEPARATOR.join(t["code"] for t in row["territories"])
    record["territory_names"] = LIST_SEPARATOR.join(t["name"] for t in row["territories"])
    record["software"] = LIST_SEPARATOR.join(row["software"])
    return {k: neutralise_cell(v) for k, v in record.items()}


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
    apostrophe (OWASP « CSV injection »): user-written titles must not execute on a reader's machine."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    buffer.write("\ufeff")  # BOM: spreadsheet software then reads the accents right
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_record(row))
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
