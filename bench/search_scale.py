"""The whole search at 100k passages: the HTTP API over a data dir grown from the seeded one.

Usage:
  .venv/bin/python -m bench.search_scale                           # 100,000 passages, 1 client, 30 s
  .venv/bin/python -m bench.search_scale --passages 100000 --seconds 15 --clients 1 --clients 8

First run `bench.http_search` once (it seeds and indexes /tmp/retex-http-bench, the source here). This
bench copies that data dir, then grows it to --passages passages the way real data would sit in it:
each published case is copied (new id and slug, same themes and territories, same columns) in the
database, and its passages are copied in the index under the copy's id with their sparse vectors and a
little noise on their dense vectors (σ 0.02 per dimension, renormalised), so that no two cases are
identical and the index holds as many distinct points as a real 100k-passage corpus. Database and index
agree, so the server starts without reindexing. Then it runs bench.http_search against that data dir
(same distinct queries, same figures, load average printed).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import http_search  # noqa: E402
from indexing.case_index import PASSAGES_COLLECTION, SECOND_COLLECTION, passage_point_id  # noqa: E402
from indexing.index_types import IndexPoint  # noqa: E402
from indexing.sparse import encode_document  # noqa: E402
from indexing.vector_index import open_index, stored_spec  # noqa: E402

SOURCE = Path(tempfile.gettempdir()) / "retex-http-bench"
BATCH = 2000


def grow(data_dir: Path, passages: int, seed: int = 16) -> int:
    """Copy cases (database) and their passages (index) until the index holds ``passages`` points."""
    from sqlalchemy import create_engine, insert, select

    from service.casestudies.models import CaseStudy, PublicationState, case_territories, case_themes

    spec = stored_spec(PASSAGES_COLLECTION, path=data_dir / "index")
    assert spec is not None, "no passage collection in the source data dir"
    index = open_index(spec, path=data_dir / "index")
    # The second encoder's collection (same point ids) grows with it: a search queries both.
    second_spec = stored_spec(SECOND_COLLECTION, path=data_dir / "index")
    second = open_index(second_spec, path=data_dir / "index") if second_spec is not None else None
    db = create_engine(f"sqlite:///{data_dir / 'retex.sqlite3'}")
    rng = np.random.default_rng(seed)
    try:
        payloads = dict(index.scroll_payloads(["case_id", "passage"]))
        have = len(payloads)
        if have >= passages:
            return have
        by_case: dict[int, list[str]] = {}
        for pid, payload in payloads.items():
            by_case.setdefault(int(payload["case_id"]), []).append(pid)
        with db.begin() as conn:
            cases = [
                dict(r._mapping)
                for r in conn.execute(
                    select(CaseStudy.__table__).where(
                        CaseStudy.publication_state == PublicationState.published
                    )
                )
            ]
            themes = conn.execute(select(case_themes)).all()
            places = conn.execute(select(case_territories)).all()
            next_id = int(conn.execute(select(CaseStudy.id).order_by(CaseStudy.id.desc())).scalar() or 0) + 1
        # Every column of the link rows (a theme link also says where it came from).
        themes_of: dict[int, list[dict[str, object]]] = {}
        for r in themes:
            themes_of.setdefault(r.case_study_id, []).append(dict(r._mapping))
        places_of: dict[int, list[dict[str, object]]] = {}
        for r in places:
            places_of.setdefault(r.case_study_id, []).append(dict(r._mapping))
        # Full payload, dense and sparse vector of every source passage, once.
        source: dict[int, list[tuple[dict[str, object], np.ndarray, object, np.ndarray | None]]] = {}
        for case in cases:
            ids = by_case.get(case["id"], [])
            if not ids:
                continue
            full = index.retrieve_payloads(
                ids, list(spec.keyword_fields) + list(spec.integer_fields) + ["text"]
            )
            vectors = index.retrieve_vectors(ids)
            second_vectors = second.retrieve_vectors(ids) if second is not None else {}
            source[case["id"]] = [
                (full[i], vectors[i], encode_document(str(full[i].get("text", ""))), second_vectors.get(i))
                for i in ids
                if i in full
            ]
        sources = [c for c in cases if c["id"] in source]
        copy = 0
        started = time.monotonic()
        while have < passages:
            batch_cases, batch_themes, batch_places, batch_points, batch_second = [], [], [], [], []
            while have < passages and len(batch_points) < BATCH:
                original = sources[copy % len(sources)]
                copy += 1
                new_id = next_id
                next_id += 1
                row = dict(original)
                row.update(id=new_id, slug=f"{original['slug']}-copie-{copy}", external_key=None)
                batch_cases.append(row)
                batch_themes += [{**t, "case_study_id": new_id} for t in themes_of.get(original["id"], [])]
                batch_places += [{**t, "case_study_id": new_id} for t in places_of.get(original["id"], [])]
                for payload, vector, sparse, second_vector in source[original["id"]]:
                    ordinal = int(payload.get("passage", 0))  # type: ignore[arg-type]
                    point_id = passage_point_id(new_id, ordinal)
                    batch_points.append(
                        IndexPoint(
                            point_id,
                            _noisy(vector, rng),
                            sparse,  # type: ignore[arg-type]
                            {**payload, "case_id": new_id},
                        )
                    )
                    if second_vector is not None:
                        fields = {k: v for k, v in payload.items() if k != "text"}
                        batch_second.append(
                            IndexPoint(
                                point_id, _noisy(second_vector, rng), None, {**fields, "case_id": new_id}
                            )
                        )
                    have += 1
            with db.begin() as conn:  # database first: a point never names a missing case
                conn.execute(insert(CaseStudy.__table__), batch_cases)
                if batch_themes:
                    conn.execute(insert(case_themes), batch_themes)
                if batch_places:
                    conn.execute(insert(case_territories), batch_places)
            index.upsert(batch_points)
            if second is not None and batch_second:
                second.upsert(batch_second)
            print(
                f"  {have:,} passages ({copy:,} case copies, {time.monotonic() - started:.0f} s)", flush=True
            )
        index.flush()
        if second is not None:
            second.flush()
        return have
    finally:
        index.close()
        if second is not None:
            second.close()
        db.dispose()


def _noisy(vector: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = vector + rng.normal(0, 0.02, vector.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy)).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--source", type=Path, default=SOURCE, help="A seeded, indexed data dir (http_search's)."
    )
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "retex-scale-bench")
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--clients", type=int, action="append")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    if not (args.data_dir / "retex.sqlite3").exists():
        if not (args.source / "retex.sqlite3").exists():
            print(f"{args.source}: run `python -m bench.http_search` first", file=sys.stderr)
            return 2
        print(f"copying {args.source} to {args.data_dir}", flush=True)
        shutil.copytree(args.source, args.data_dir, ignore=shutil.ignore_patterns("*.log", "*.lock"))
    total = grow(args.data_dir, args.passages)
    print(f"{total:,} passages in {args.data_dir / 'index'}", flush=True)
    forwarded = ["--data-dir", str(args.data_dir), "--seconds", str(args.seconds)]
    for clients in args.clients or [1]:
        forwarded += ["--clients", str(clients)]
    return http_search.main(forwarded)


if __name__ == "__main__":
    raise SystemExit(main())
