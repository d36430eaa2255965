"""Precision of the theme suggestions (service/themes/suggest.py) on a labelled sample.

bench/themes/sample.jsonl holds, for theme suggestions made on seeded experiences that have no theme of
their own, a human judgment: would an editor accept this theme for this experience ("correct": true)?
This script recomputes the suggestions exactly as the seeds and the write path do, and reports the
precision over the judged ones and how many are not judged. --dump N prints N unjudged suggestions drawn
at random (seed 14) to judge. A second, stricter figure: on the beta.gouv.fr pages that do have themes,
how many suggestions (made from their text alone) are among the themes the source gave (a lower bound:
the source's themes are incomplete).

Usage (on a seeded database): python -m bench.theme_precision [--dump N]"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from seeds.betagouv import load_pages
from seeds.themes import betagouv_label_map
from service.casestudies.links import case_text, links_of
from service.casestudies.models import CaseStudy, LinkOrigin
from service.db.engine import make_engine
from service.settings import Settings
from service.themes.suggest import suggested_slugs

SAMPLE = Path(__file__).resolve().parent / "themes" / "sample.jsonl"


def suggestions(session: Session) -> list[dict[str, str]]:
    found = []
    for case in session.scalars(
        select(CaseStudy).where(CaseStudy.external_key.is_not(None)).order_by(CaseStudy.id)
    ):
        own = [
            t
            for t, (origin, _) in links_of(session, case.id, "theme").items()
            if origin != LinkOrigin.detected
        ]
        if own:
            continue
        for slug in suggested_slugs(case_text(case)):
            found.append(
                {
                    "case": case.external_key or "",
                    "theme": slug,
                    "title": case.title,
                    "summary": case.summary[:300],
                }
            )
    return found


def source_agreement() -> tuple[int, int]:
    labels = betagouv_label_map()
    agree = total = 0
    for page in load_pages():
        gold = {labels[t.strip().casefold()] for t in page["thematiques"] if t.strip().casefold() in labels}
        if not gold:
            continue
        for slug in suggested_slugs("\n".join((page["title"], page["mission"], page["body_markdown"] or ""))):
            total += 1
            agree += slug in gold
    return agree, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", type=int, default=0)
    args = parser.parse_args()
    judged = {}
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            judged[(item["case"], item["theme"])] = item["correct"]
    with Session(make_engine(Settings().resolved_database_url)) as session:
        found = suggestions(session)
    unjudged = [s for s in found if (s["case"], s["theme"]) not in judged]
    if args.dump:
        for s in random.Random(14).sample(unjudged, min(args.dump, len(unjudged))):
            print(json.dumps(s, ensure_ascii=False))
        return
    hits = [judged[(s["case"], s["theme"])] for s in found if (s["case"], s["theme"]) in judged]
    print(f"suggestions on seeded experiences without themes: {len(found)}")
    print(f"judged in {SAMPLE.name}: {len(hits)} (not judged: {len(unjudged)})")
    if hits:
        print(f"precision: {sum(hits)}/{len(hits)} = {sum(hits) / len(hits):.3f}")
    agree, total = source_agreement()
    print(
        f"lower bound on beta.gouv.fr pages with themes: {agree}/{total} = "
        f"{agree / max(total, 1):.3f} in the source's themes"
    )
    print(f"load: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
