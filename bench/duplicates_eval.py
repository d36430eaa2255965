"""Precision and recall of the duplicate check on labelled pairs (bench/duplicates/pairs.jsonl).

Usage::

    python bench/duplicates_eval.py --cache /tmp/retex-eval-cache

Each pair is a would-be new case (title + summary): either a rephrasing of an existing case of the
dev-set corpus (``duplicate_of`` = its id: a true near-copy) or a different project on a theme the
corpus covers (``duplicate_of`` null: nothing must be flagged). The corpus is indexed as `retex eval`
does; each candidate is compared with the summary passages (title + summary) by e5-small and by the
second encoder (USE). A flag is right when it names the copied case; precision counts every flag,
recall the copies flagged. Prints the sweep and the thresholds used by service/search/similar.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexing.documents import split_passages  # noqa: E402
from indexing.embedder import load_embedder  # noqa: E402
from indexing.embedding_cache import DiskCachedEmbedder  # noqa: E402
from indexing.eval_runner import corpus_documents  # noqa: E402
from indexing.evaluation import load_corpus  # noqa: E402
from indexing.second_encoder import UseEmbedder  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "retex-eval-cache")
    parser.add_argument("--model-dir", type=Path, default=REPO / "var")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="retex-dup-"))
    subprocess.run(
        [sys.executable, str(REPO / "bench/devset/build_corpus.py"), str(work / "c.jsonl")], check=True
    )
    docs = load_corpus(work / "c.jsonl")
    ids = [d._id for d in docs]
    heads = [split_passages(d)[0].text for d in corpus_documents(docs)]  # title + summary
    pairs = [json.loads(line) for line in (REPO / "bench/duplicates/pairs.jsonl").open(encoding="utf-8")]
    texts = [f"{p['title']}\n{p['summary']}" for p in pairs]
    e5 = DiskCachedEmbedder(load_embedder("packaged:multilingual-e5-small", args.model_dir), args.cache)
    use = DiskCachedEmbedder(UseEmbedder(threads=2), args.cache)
    scores = {}
    for name, emb in (("e5", e5), ("use", use)):
        scores[name] = emb.embed_passages(texts) @ emb.embed_passages(heads).T
        emb.save()
    truth = [p["duplicate_of"] for p in pairs]
    copies = sum(1 for t in truth if t)

    def measure(flag: np.ndarray) -> tuple[float, float, int]:
        right = wrong = found = 0
        for i, t in enumerate(truth):
            flagged = {ids[j] for j in np.flatnonzero(flag[i])}
            right += int(t in flagged)
            wrong += len(flagged - {t})
            found += int(t in flagged)
        precision = right / (right + wrong) if right + wrong else 1.0
        return precision, found / copies, wrong

    print(f"{len(pairs)} pairs: {copies} near-copies, {len(pairs) - copies} new subjects; {len(ids)} cases")
    print("before (e5 >= 0.88 possible / 0.93 probable):")
    for t in (0.88, 0.93):
        p, r, w = measure(scores["e5"] >= t)
        print(f"  e5 >= {t}: precision {p:.2f} recall {r:.2f} wrong flags {w}")
    best = None
    for name in ("e5", "use"):
        for t in np.arange(0.5 if name == "e5" else 0.3, 1.0, 0.01):
            p, r, w = measure(scores[name] >= t)
            if p >= 0.9 and (best is None or r > best[2]):
                best = (name, round(float(t), 2), r, p, w)
    for a in np.arange(0.85, 0.96, 0.01):
        for b in np.arange(0.4, 0.9, 0.02):
            p, r, w = measure((scores["e5"] >= a) & (scores["use"] >= b))
            if p >= 0.9 and (best is None or r > best[2] + 1e-9):
                best = (f"e5>={a:.2f} & use", round(float(b), 2), r, p, w)
    print(f"best at precision >= 0.9: {best}")
    for t in (0.55, 0.6, 0.65, 0.7, 0.75):
        p, r, w = measure(scores["use"] >= t)
        print(f"  use >= {t}: precision {p:.2f} recall {r:.2f} wrong flags {w}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
