"""Build the BEIR corpus.jsonl of the Retex dev set.

Usage::

    python bench/devset/build_corpus.py OUT/corpus.jsonl

The corpus is generated, not committed. It contains:

* one document per beta.gouv.fr startup fiche (``_id`` = slug, ``title``,
  ``text`` = mission + body_markdown), read from
  ``seeds/data/betagouv/startups.jsonl``;
* the demo case studies of ``seeds/data/retex/cases.json`` (``_id`` = slug,
  ``text`` = summary + context + solution + results + resources +
  transferability).

The derived corpus keeps the licence of beta.gouv.fr content: CC BY-NC-SA 4.0,
"beta.gouv.fr / DINUM and contributors" (see README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUPS_CANDIDATES = (REPO_ROOT / "seeds" / "data" / "betagouv" / "startups.jsonl",)
CASES_DEFAULT = REPO_ROOT / "seeds" / "data" / "retex" / "cases.json"
CASE_SECTIONS = ("summary", "context", "solution", "results", "resources", "transferability")


def _clean(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text in {"None", "null"} else text


def find_startups() -> Path:
    for candidate in STARTUPS_CANDIDATES:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in STARTUPS_CANDIDATES)
    raise FileNotFoundError(f"startups.jsonl not found (tried {tried})")


def startup_docs(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc
            slug = _clean(row.get("slug"))
            if not slug:
                raise ValueError(f"{path}:{lineno}: missing slug")
            text = "\n\n".join(p for p in (_clean(row.get("mission")), _clean(row.get("body_markdown"))) if p)
            yield {"_id": slug, "title": _clean(row.get("title")), "text": text}


def case_docs(path: Path) -> Iterator[dict[str, str]]:
    cases = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(cases, list):
        raise ValueError(f"{path}: expected a JSON list of cases")
    for i, case in enumerate(cases):
        slug = _clean(case.get("slug")) if isinstance(case, dict) else ""
        if not slug:
            raise ValueError(f"{path}: case #{i} has no slug")
        text = "\n\n".join(p for p in (_clean(case.get(s)) for s in CASE_SECTIONS) if p)
        yield {"_id": slug, "title": _clean(case.get("title")), "text": text}


def build(out: Path, startups: Path, cases: Path | None) -> int:
    docs: list[dict[str, str]] = list(startup_docs(startups))
    if cases is not None:
        docs.extend(case_docs(cases))
    seen: set[str] = set()
    for doc in docs:
        if doc["_id"] in seen:
            raise ValueError(f"duplicate document id {doc['_id']!r}")
        seen.add(doc["_id"])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return len(docs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="path of the corpus.jsonl to write")
    parser.add_argument("--startups", type=Path, default=None, help="beta.gouv.fr startups.jsonl")
    parser.add_argument("--cases", type=Path, default=CASES_DEFAULT, help="Retex cases.json")
    parser.add_argument("--no-cases", action="store_true", help="do not add the demo case studies")
    args = parser.parse_args(argv)
    startups = args.startups or find_startups()
    cases = None if args.no_cases else args.cases
    n = build(args.out, startups, cases)
    print(f"wrote {n} documents to {args.out} (from {startups}{'' if cases is None else f' + {cases}'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
