"""Precision of the gazetteer linker (service/territories/linker.py) on a labelled sample.

bench/linker/sample.jsonl holds, for links the linker makes on the seeded experiences, a human judgment:
is this territory one the experience concerns, rightly identified ("correct": true), or not (a homonym,
a person, a benchmark elsewhere…)? This script re-runs the linker on every seeded experience exactly as
the seeds and the write path do (service/casestudies/links.detect_territories), and reports the
precision over the judged links, and how many links are not judged yet (to judge them, see --dump).

Usage (on a seeded database, RETEX_DATA_DIR or DATABASE_URL): python -m bench.linker_precision [--dump]"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.casestudies.links import case_text, declared_territories, detect_territories
from service.casestudies.models import CaseStudy
from service.db.engine import make_engine
from service.settings import Settings

SAMPLE = Path(__file__).resolve().parent / "linker" / "sample.jsonl"


def predictions(session: Session) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for case in session.scalars(
        select(CaseStudy).where(CaseStudy.external_key.is_not(None)).order_by(CaseStudy.id)
    ):
        text = case_text(case)
        for link in detect_territories(session, case, declared_territories(session, case)):
            surface = link.evidence.split("»")[0].strip("« ").strip()
            at = text.find(surface)
            found.append(
                {
                    "case": case.external_key,
                    "code": link.code,
                    "name": link.name,
                    "confidence": link.confidence,
                    "evidence": link.evidence,
                    "snippet": " ".join(text[max(0, at - 140) : at + 100].split()) if at >= 0 else "",
                }
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", action="store_true", help="print the links not judged yet, as JSON lines")
    args = parser.parse_args()
    engine = make_engine(Settings().resolved_database_url)
    judged = {}
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            judged[(item["case"], item["code"])] = item["correct"]
    with Session(engine) as session:
        found = predictions(session)
    hits = [judged[(p["case"], p["code"])] for p in found if (p["case"], p["code"]) in judged]
    unjudged = [p for p in found if (p["case"], p["code"]) not in judged]
    if args.dump:
        for p in unjudged:
            print(json.dumps(p, ensure_ascii=False))
        return
    correct = sum(1 for h in hits if h)
    print(f"links detected on the seeded experiences: {len(found)}")
    print(f"judged in {SAMPLE.name}: {len(hits)} (not judged: {len(unjudged)})")
    if hits:
        print(f"precision: {correct}/{len(hits)} = {correct / len(hits):.3f}")
    print(f"load: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
