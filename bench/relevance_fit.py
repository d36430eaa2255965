"""Choose the calibrated ranking's weights and floor by cross-validation on bench/devset.

Usage (from the repository root; embeddings are cached in --cache so a rerun takes seconds)::

    python bench/relevance_fit.py --cache /tmp/retex-eval-cache [--write]

Steps: build the dev-set corpus, index it with the production code (temporary embedded index),
query each need once per signal (dense, lexical: ids and scores only), aggregate the evidence per
case (indexing/relevance.py), then for each language group (French needs; English, Spanish,
German and Italian needs) fit a logistic model of "judged relevant" (qrels score > 0; unjudged
candidates and every candidate of a no-answer need count as not relevant). The regularisation and
the floor are chosen on out-of-fold predictions (5 folds over needs, never a need's own
judgements); --write stores the model fitted on every need in indexing/relevance_model.json.
The query gates (GATES: nonsense, near-miss) are learnt inside the same folds; their thresholds
come from the out-of-fold sweep it prints (threshold -> nDCG@10 overall and per language, share of
no-answer needs answered with nothing, answerable needs emptied, nonsense emptied).
Prints every metric per language for the fused ranking of before issue 13, each signal alone, and
the calibrated ranking (out-of-fold, unfloored and floored).

The near-miss gate also reads each need's best cosine over the outside titles
(indexing/outside_corpus.py; --outside-titles for another list). Index building is not exactly
repeatable (the lexical evidence moves a little between runs), so `--dump FILE` keeps one run's
evidence and `--from-dump FILE` re-fits on it: variants (--near-miss, --fold-seed) then compare on
the same evidence.
"""

from __future__ import annotations

import argparse
import pickle
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexing.case_index import HIT_FIELDS, CaseIndexer, SecondOpinion, passages_spec, second_spec  # noqa: E402
from indexing.embedder import load_embedder  # noqa: E402
from indexing.embedding_cache import DiskCachedEmbedder  # noqa: E402
from indexing.eval_runner import corpus_documents  # noqa: E402
from indexing.evaluation import EvalReport, Query, evaluate, load_corpus, load_qrels, load_queries  # noqa: E402
from indexing.index_types import FieldFilter  # noqa: E402
from indexing.outside_corpus import (  # noqa: E402
    TITLES_PATH,
    OutsideCorpus,
    embed_titles,
    group_titles,
    outside_titles,
)
from indexing.query_language import detect_language  # noqa: E402
from indexing.relevance import (  # noqa: E402
    FEATURES,
    OTHER_LANGUAGES,
    CaseEvidence,
    GroupWeights,
    QueryGate,
    RelevanceModel,
    case_evidence,
    gate_row,
)
from indexing.retrieval import RetrievalSettings, Retriever  # noqa: E402
from indexing.second_encoder import USE_MODEL, UseEmbedder  # noqa: E402
from indexing.sparse import encode_query  # noqa: E402
from indexing.vector_index import open_index  # noqa: E402

DEVSET = REPO / "bench" / "devset"
FOLDS = 5
FOLD_SEED = 0
NONSENSE = ("xkqzvbtw plorf", "asdf qwer zxcv", "lorem ipsum dolor sit amet", "zzzz", "blorp")


def random_letters(count: int, seed: int = 13) -> list[str]:
    """Strings of random letters (one to three words), negatives for the query gate: deterministic."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [
        " ".join(
            "".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(rng.randint(1, 3))
        )
        for _ in range(count)
    ]


GATE_C = 0.1
# Out-of-fold nDCG@10 the near-miss gate may cost: half the margin (0.607 shipped, 0.55 the goal
# overall; French 0.559 against 0.50). At 0.015 the outside-titles gate stopped at 67 % of the no-answer
# needs; at 0.03 it reaches 83 % on 3 of 4 fold assignments (bench/relevance_report.md).
GATE_COST = 0.03
NONSENSE_COST = 0.0  # out-of-fold nDCG@10 the nonsense gate may cost
GATE_MIN_NEEDS = 5  # answerable needs a language needs for a gate centre of its own
NO_ANSWER_GOAL = 0.8
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
FLOOR_GRID = tuple(round(x, 3) for x in np.arange(0.0, 0.8, 0.005))
FLOOR_COST = 0.02


@dataclass
class Need:
    id: str
    lang: str
    group: str  # detected ranking group
    detected: str  # detected language (the query gate's centre)
    train_group: str  # fr / foreign by the judged language
    no_answer: bool
    case_ids: list[int]
    matrix: np.ndarray
    labels: np.ndarray
    signals: dict[str, float]  # relevance.QUERY_SIGNALS (best cosines over the outside titles)


def fit_group(rows: np.ndarray, labels: np.ndarray, c: float) -> GroupWeights:
    from sklearn.linear_model import LogisticRegression

    mean = np.nan_to_num(np.nanmean(rows, axis=0), nan=0.0)
    scale = np.nan_to_num(np.nanstd(rows, axis=0), nan=1.0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(np.nan_to_num((rows - mean) / scale, nan=0.0), labels)
    return GroupWeights(
        mean=tuple(float(x) for x in mean),
        scale=tuple(float(x) for x in scale),
        coef=tuple(float(x) for x in model.coef_[0]),
        intercept=float(model.intercept_[0]),
    )


def fit(needs: list[Need], c: float, floor: float = 0.0) -> RelevanceModel:
    groups = {}
    for g in ("fr", "foreign"):
        chosen = [n for n in needs if n.train_group == g]
        groups[g] = fit_group(
            np.vstack([n.matrix for n in chosen]), np.concatenate([n.labels for n in chosen]), c
        )
    return RelevanceModel(groups=groups, floor=floor)


GATE_MARGIN = 0.02


def gate(model: RelevanceModel, needs: list[Need]) -> RelevanceModel:
    """The query-level gate: just below the lowest best second-encoder cosine of the answerable
    needs (with and without a lexical match), so that it never silences an answerable need."""
    si, li = FEATURES.index("second"), FEATURES.index("lexical")
    answerable = [n for n in needs if not n.no_answer and len(n.case_ids)]
    if not answerable or np.isnan(answerable[0].matrix[:, si]).all():
        return model
    tops = [(float(np.max(n.matrix[:, si])), float(np.max(n.matrix[:, li])) > 0) for n in answerable]
    low = min(t for t, _ in tops) - GATE_MARGIN
    unmatched = [t for t, matched in tops if not matched]
    low_unmatched = (min(unmatched) - GATE_MARGIN) if unmatched else low
    return RelevanceModel(
        groups=model.groups,
        floor=model.floor,
        min_second=round(low, 3),
        min_second_unmatched=round(low_unmatched, 3),
    )


@dataclass(frozen=True)
class GateSpec:
    """One query gate: what it reads and what it learns to silence."""

    name: str
    features: tuple[str, ...]  # among relevance.GATE_INPUTS
    centred: bool  # rows minus the mean answerable row of the query's language
    negatives: str  # "nonsense": the random strings; "no-answer": the needs judged to have no answer


# Nonsense: the second encoder sees nothing close and nothing stands out (the gate shipped before,
# now learnt against nonsense only). Near misses: the collection only neighbours the subject, which
# shows in how close e5 gets for the query's language and in how close USE gets to the titles of ordinary
# municipal projects (indexing/outside_corpus.py; issue 13, bench/relevance_report.md).
GATES = (
    GateSpec(
        "nonsense", ("top_logit", "dense", "dense_gap", "lexical", "second", "second_gap"), False, "nonsense"
    ),
    GateSpec("near-miss", ("dense", "dense_head", "second_outside"), True, "no-answer"),
)


def _rows(needs: list[Need], model: RelevanceModel, features: tuple[str, ...]) -> np.ndarray:
    return np.array(
        [gate_row(n.matrix, model.probabilities(n.matrix, n.group), features, n.signals) for n in needs]  # type: ignore[arg-type]
    )


def gate_centres(needs: list[Need], model: RelevanceModel, spec: GateSpec) -> dict[str, tuple[float, ...]]:
    """Per detected language, the mean gate row of its answerable needs (languages with fewer than
    GATE_MIN_NEEDS take the mean of every non-French answerable need, as do unseen languages)."""
    if not spec.centred:
        return {OTHER_LANGUAGES: (0.0,) * len(spec.features)}
    answerable = [n for n in needs if not n.no_answer and len(n.case_ids)]
    by_lang: dict[str, list[Need]] = {}
    for n in answerable:
        by_lang.setdefault(n.detected, []).append(n)

    def mean(chosen: list[Need]) -> tuple[float, ...]:
        return tuple(float(x) for x in np.mean(_rows(chosen, model, spec.features), axis=0))

    centres = {lang: mean(group) for lang, group in sorted(by_lang.items()) if len(group) >= GATE_MIN_NEEDS}
    centres[OTHER_LANGUAGES] = mean([n for n in answerable if n.detected != "fr"])
    return centres


def fit_gate(model: RelevanceModel, spec: GateSpec, needs: list[Need], threshold: float) -> QueryGate:
    """Answerable needs against the spec's negatives (balanced classes: the negatives are few)."""
    from sklearn.linear_model import LogisticRegression

    def negative(n: Need) -> bool:
        return n.id.startswith("nonsense-") == (spec.negatives == "nonsense") and n.no_answer

    chosen = [n for n in needs if len(n.case_ids) and (not n.no_answer or negative(n))]
    centres = gate_centres(chosen, model, spec)
    rows = _rows(chosen, model, spec.features) - np.array(
        [centres.get(n.detected, centres[OTHER_LANGUAGES]) for n in chosen]
    )
    labels = np.array([0 if n.no_answer else 1 for n in chosen])
    mean = np.nan_to_num(np.nanmean(rows, axis=0), nan=0.0)
    scale = np.nan_to_num(np.nanstd(rows, axis=0), nan=1.0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=GATE_C, class_weight="balanced", max_iter=2000)
    lr.fit(np.nan_to_num((rows - mean) / scale, nan=0.0), labels)
    return QueryGate(
        features=spec.features,
        centres=centres,
        mean=tuple(float(x) for x in mean),
        scale=tuple(float(x) for x in scale),
        coef=tuple(float(x) for x in lr.coef_[0]),
        intercept=float(lr.intercept_[0]),
        threshold=threshold,
    )


def fit_gates(model: RelevanceModel, needs: list[Need], thresholds: tuple[float, ...]) -> RelevanceModel:
    gates = tuple(fit_gate(model, spec, needs, t) for spec, t in zip(GATES, thresholds, strict=True))
    return replace(model, gates=gates)


def with_thresholds(model: RelevanceModel, thresholds: tuple[float, ...]) -> RelevanceModel:
    gates = tuple(replace(g, threshold=t) for g, t in zip(model.gates, thresholds, strict=True))
    return replace(model, gates=gates)


def ranked(need: Need, model: RelevanceModel, ids: list[str], floor: float) -> list[str]:
    if not len(need.case_ids):
        return []
    p = model.probabilities(need.matrix, need.group)  # type: ignore[arg-type]
    if floor > 0 and not model.answerable(
        CaseEvidence(need.case_ids, [], need.matrix), p, need.detected, need.signals
    ):
        return []
    order = sorted((-float(pi), cid) for pi, cid in zip(p, need.case_ids, strict=True) if pi >= floor)
    return [ids[cid] for _, cid in order]


def out_of_fold(
    needs: list[Need], c: float, nonsense: list[Need] | None = None, gated: bool = False
) -> dict[str, tuple[Need, RelevanceModel]]:
    """Per need, the model fitted without it (5 folds over needs). `gated`: each fold's model also
    carries the query GATES learnt on its training needs and nonsense strings (thresholds 0)."""
    everyone = needs + (nonsense or [])
    order = sorted(needs, key=lambda n: n.id)
    if FOLD_SEED:  # a reshuffled fold assignment (robustness check of the thresholds)
        random.Random(FOLD_SEED).shuffle(order)
    folds = {n.id: i % FOLDS for i, n in enumerate(order)}
    folds |= {n.id: i % FOLDS for i, n in enumerate(nonsense or [])}
    out: dict[str, tuple[Need, RelevanceModel]] = {}
    for f in range(FOLDS):
        train = [n for n in needs if folds[n.id] != f]
        model = gate(fit(train, c), train)
        if gated:
            trained = train + [n for n in nonsense or [] if folds[n.id] != f]
            model = fit_gates(model, trained, (0.0,) * len(GATES))
        for n in everyone:
            if folds[n.id] == f:
                out[n.id] = (n, model)
    return out


Run = dict[str, list[str]]


def recall_kept(run: Run, base: Run, qrels: dict[str, dict[str, int]]) -> float:
    """Share of the judged-relevant cases of the unfloored ranking (`base`) that `run` still returns
    (floor and gate only cut: this is what they cost)."""
    judged = kept = 0
    for qid, grades in qrels.items():
        relevant = {d for d, g in grades.items() if g > 0} & set(base.get(qid, []))
        judged += len(relevant)
        kept += len(relevant & set(run.get(qid, [])))
    return kept / max(judged, 1)


def combined(report: EvalReport) -> float:
    """Mean over every need: nDCG@10 for answerable ones, 1/0 for an empty / non-empty answer to a
    no-answer need."""
    o = report.overall
    na = o.no_answer_queries
    return (o.ndcg * o.queries + (o.no_answer_empty or 0.0) * na) / max(o.queries + na, 1)


def line(name: str, report: EvalReport) -> str:
    parts = [f"{name:<28} all nDCG {report.ndcg:.3f} P@5 {report.p5:.3f} MRR {report.mrr:.3f}"]
    o = report.overall
    parts.append(f"no-answer empty {o.no_answer_empty or 0:.2f} answerable empty {o.answerable_empty:.2f}")
    langs = " ".join(
        f"{lang} {m.ndcg:.3f}/{m.p5:.2f}" for lang, m in sorted(report.by_lang.items()) if m.queries
    )
    return " | ".join(parts) + f" | nDCG/P@5 {langs}"


Evidence = tuple[
    list[Need], list[Need], list[str], dict[str, dict[str, int]], list[Query], dict[str, EvalReport]
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "retex-eval-cache")
    parser.add_argument("--model-dir", type=Path, default=REPO / "var")
    parser.add_argument("--write", action="store_true", help="write indexing/relevance_model.json")
    parser.add_argument("--no-second", action="store_true", help="without the second encoder (USE)")
    parser.add_argument("--fold-seed", type=int, default=0, help="reshuffle the fold assignment (0: by id)")
    parser.add_argument("--near-miss", help="comma-separated GATE_INPUTS of the near-miss gate (exploration)")
    parser.add_argument("--outside-titles", type=Path, default=TITLES_PATH, help="one title a line")
    parser.add_argument("--dump", type=Path, help="write the evidence per need (pickle) to this file")
    parser.add_argument("--from-dump", type=Path, help="read the evidence per need from --dump's file")
    args = parser.parse_args()
    global FOLD_SEED, GATES
    FOLD_SEED = args.fold_seed
    if args.near_miss:
        GATES = (GATES[0], replace(GATES[1], features=tuple(args.near_miss.split(","))))

    embedder = DiskCachedEmbedder(load_embedder("packaged:multilingual-e5-small", args.model_dir), args.cache)
    second_embedder = None if args.no_second else DiskCachedEmbedder(UseEmbedder(threads=2), args.cache)
    if args.from_dump:  # same evidence: variants compare without the index's run-to-run noise
        with args.from_dump.open("rb") as fh:
            evidence: Evidence = pickle.load(fh)
    else:
        evidence = collect(embedder, second_embedder)
        if args.dump:
            with args.dump.open("wb") as fh:
                pickle.dump(evidence, fh)
    titles = outside_titles(args.outside_titles)
    add_outside_signals(evidence, titles, embedder, second_embedder)
    print(f"outside titles: {len(titles)} ({args.outside_titles})")
    return fit_and_print(*evidence, write=args.write)


def add_outside_signals(
    evidence: Evidence, titles: list[str], embedder: DiskCachedEmbedder, second: DiskCachedEmbedder | None
) -> None:
    """Each need's QUERY_SIGNALS: its best cosine over the outside titles, per encoder."""
    needs, nonsense_needs, _, _, queries, _ = evidence
    texts = {q.id: q.text for q in queries}
    texts |= {f"nonsense-{i:02d}": t for i, t in enumerate([*NONSENSE, *random_letters(20)])}
    read = {f for g in GATES for f in g.features}
    encoders = [e for e, name in ((embedder, "outside"), (second, "second_outside")) if e and name in read]
    outside = OutsideCorpus({e.model_name: group_titles(embed_titles(e, titles)) for e in encoders})
    for n in [*needs, *nonsense_needs]:
        text = texts[n.id]
        n.signals = {
            "outside": outside.best_cosine(embedder.model_name, embedder.embed_query(text)),
            "second_outside": outside.best_cosine(USE_MODEL, second.embed_query(text) if second else None),
        }
    for e in encoders:
        e.save()


def collect(embedder: DiskCachedEmbedder, second_embedder: DiskCachedEmbedder | None) -> Evidence:
    """Index the dev-set corpus and read every need's evidence (and the rankings before calibration)."""
    work = Path(tempfile.mkdtemp(prefix="retex-fit-"))
    corpus_path = work / "corpus.jsonl"
    subprocess.run([sys.executable, str(DEVSET / "build_corpus.py"), str(corpus_path)], check=True)
    docs = load_corpus(corpus_path)
    ids = [d._id for d in docs]
    queries = load_queries(DEVSET / "queries.jsonl")
    qrels = load_qrels(DEVSET / "qrels.tsv")
    published = FieldFilter(any_of={"publication_state": ["published"]})
    with (
        open_index(passages_spec(embedder), path=work / "index") as index,
        open_index(second_spec(second_embedder or embedder), path=work / "index") as index2,
    ):
        second = None if second_embedder is None else SecondOpinion(second_embedder, index2)
        started = time.perf_counter()
        CaseIndexer(embedder, index, second).index_cases(corpus_documents(docs))
        embedder.save()
        if second_embedder is not None:
            second_embedder.save()
        print(f"indexed {len(docs)} documents in {time.perf_counter() - started:.1f} s")
        for q in queries:
            embedder.embed_query(q.text)
            if second_embedder is not None:
                second_embedder.embed_query(q.text)
        embedder.save()
        if second_embedder is not None:
            second_embedder.save()

        before = {}
        for name, mode, settings in (
            ("fused dbsf (before)", "hybrid", RetrievalSettings(ranking="fused", fusion="dbsf", exact=False)),
            ("fused rrf", "hybrid", RetrievalSettings(ranking="fused", fusion="rrf", exact=False)),
            ("dense alone", "dense", RetrievalSettings()),
            ("lexical alone", "lexical", RetrievalSettings()),
        ):
            r = Retriever(embedder, index, settings)
            run = {
                q.id: [ids[h.case_id] for h in r.search(q.text, flt=published, mode=mode)]  # type: ignore[arg-type]
                for q in queries
            }
            before[name] = evaluate(run, qrels, queries)

        needs: list[Need] = []
        timings = []
        nonsense_needs: list[Need] = []
        for q in [
            *queries,
            *(
                Query(id=f"nonsense-{i:02d}", text=t, lang="und", no_answer=True)
                for i, t in enumerate([*NONSENSE, *random_letters(20)])
            ),
        ]:
            t0 = time.perf_counter()
            sparse = encode_query(q.text)
            dense_hits = index.query(
                dense=embedder.embed_query(q.text), sparse=None, flt=published, limit=200, mode="dense",
                payload_fields=HIT_FIELDS, exact=True,
            )  # fmt: skip
            lexical_hits = (
                index.query(
                    dense=None,
                    sparse=sparse,
                    flt=published,
                    limit=200,
                    mode="lexical",
                    payload_fields=HIT_FIELDS,
                    exact=True,
                )
                if sparse.indices
                else []
            )
            second_hits = (
                None
                if second is None
                else index2.query(
                    dense=second.embedder.embed_query(q.text), sparse=None, flt=published, limit=200,
                    mode="dense", payload_fields=HIT_FIELDS, exact=True,
                )
            )  # fmt: skip
            ev = case_evidence(dense_hits, lexical_hits, len(sparse.indices), second_hits)
            timings.append(time.perf_counter() - t0)
            judged = qrels.get(q.id, {})
            labels = np.array([1 if judged.get(ids[c], 0) > 0 else 0 for c in ev.case_ids])
            (nonsense_needs if q.id.startswith("nonsense-") else needs).append(
                Need(
                    id=q.id,
                    lang=q.lang or "und",
                    group=detect_language(q.text).group,
                    detected=detect_language(q.text).lang,
                    train_group="fr" if q.lang == "fr" else "foreign",
                    no_answer=q.no_answer,
                    case_ids=ev.case_ids,
                    matrix=ev.matrix,
                    labels=labels,
                    signals={},
                )
            )
    print(
        "evidence per need (2 index queries + features, embedding cached): "
        f"median {1000 * sorted(timings)[len(timings) // 2]:.1f} ms"
    )

    return needs, nonsense_needs, ids, qrels, queries, before


def fit_and_print(
    needs: list[Need],
    nonsense_needs: list[Need],
    ids: list[str],
    qrels: dict[str, dict[str, int]],
    queries: list[Query],
    before: dict[str, EvalReport],
    write: bool,
) -> int:
    for name, rep in before.items():
        print(line(name, rep))

    # Regularisation: the best out-of-fold nDCG@10 unfloored. Floor: the highest one that keeps the
    # out-of-fold nDCG@10 within FLOOR_COST of the unfloored ranking (a floor can only lose
    # relevant cases; what it buys is a total that means something and fewer answers to nothing).
    scores = {}
    for c in C_GRID:
        oof = out_of_fold(needs, c)
        rep0 = evaluate({nid: ranked(n, m, ids, 0.0) for nid, (n, m) in oof.items()}, qrels, queries)
        scores[c] = rep0.ndcg
        print(line(f"calibrated C={c} unfloored", rep0))
    c = max(C_GRID, key=lambda x: (scores[x], -x))
    oof = out_of_fold(needs, c)
    floor = 0.0
    for f in FLOOR_GRID:
        rep = evaluate({nid: ranked(n, m, ids, f) for nid, (n, m) in oof.items()}, qrels, queries)
        if rep.ndcg < scores[c] - FLOOR_COST:
            break
        floor = f
    rep = evaluate({nid: ranked(n, m, ids, floor) for nid, (n, m) in oof.items()}, qrels, queries)
    print(line(f"calibrated C={c} floor={floor}", rep) + f" | combined {combined(rep):.3f}")
    oof = out_of_fold(needs, c)
    for f in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
        r = evaluate({nid: ranked(n, m, ids, f) for nid, (n, m) in oof.items()}, qrels, queries)
        print(line(f"  floor {f}", r) + f" | combined {combined(r):.3f}")
    # Query gates, learnt in each fold with the ranking model. The nonsense gate's threshold is the
    # highest that costs no out-of-fold nDCG@10 (NONSENSE_COST); then the near-miss gate's silences
    # the most no-answer needs while the out-of-fold nDCG@10 stays within GATE_COST of the ungated
    # run (ties: the better nDCG, then the higher threshold). The sweep also
    # names the near-miss threshold that silences the most no-answer needs while meeting the issue's
    # ranking goals (overall >= 0.55, French >= 0.50, no language more than 0.05 below French): on 12
    # no-answer needs and 6-9 needs per foreign language that one moves with the fold assignment, so
    # it is reported, not shipped.
    oof = out_of_fold(needs, c, nonsense_needs, gated=True)
    base = {nid: ranked(n, m, ids, 0.0) for nid, (n, m) in oof.items()}
    grid = [round(x, 2) for x in np.arange(0.0, 1.0, 0.02)]

    def gated_run(thresholds: tuple[float, ...]) -> tuple[Run, EvalReport, int]:
        run = {nid: ranked(n, with_thresholds(m, thresholds), ids, floor) for nid, (n, m) in oof.items()}
        report = evaluate({k: v for k, v in run.items() if not k.startswith("nonsense-")}, qrels, queries)
        return run, report, sum(1 for n in nonsense_needs if not run[n.id])

    ungated = gated_run((0.0, 0.0))[1].ndcg
    nonsense_threshold = 0.0
    for t in grid:
        _, rep_t, silent = gated_run((t, 0.0))
        print(
            f"  nonsense gate {t}: nDCG {rep_t.ndcg:.3f}, nonsense empty {silent}/{len(nonsense_needs)},",
            end=" ",
        )
        print(f"no-answer empty {rep_t.overall.no_answer_empty or 0:.0%}")
        if rep_t.ndcg < ungated - NONSENSE_COST:
            break
        nonsense_threshold = t
    print(f"nonsense gate threshold {nonsense_threshold}")
    threshold, best = 0.0, (-1.0, -1.0)  # (no-answer empty, nDCG) at `threshold`
    within_goals: tuple[float, float, float] | None = None  # (no-answer empty, nDCG, threshold)
    print("| near-miss gate threshold | nDCG@10 | fr | en | es | de | it", end=" ")
    print("| no-answer empty | answerable empty | nonsense empty |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in grid:
        run, rep_t, silent = gated_run((nonsense_threshold, t))
        o = rep_t.overall
        by_lang = {lang: m.ndcg for lang, m in rep_t.by_lang.items() if m.queries}
        print(
            f"| {t} | {rep_t.ndcg:.3f} | "
            + " | ".join(f"{by_lang.get(lang, 0.0):.3f}" for lang in ("fr", "en", "es", "de", "it"))
            + f" | {o.no_answer_empty or 0:.0%} | {o.answerable_empty:.0%}"
            + f" | {silent}/{len(nonsense_needs)} |"
            + f" combined {combined(rep_t):.3f}, judged-relevant kept {recall_kept(run, base, qrels):.3f}"
        )
        if rep_t.ndcg >= ungated - GATE_COST and (o.no_answer_empty or 0.0, rep_t.ndcg) >= best:
            threshold, best = t, (o.no_answer_empty or 0.0, rep_t.ndcg)
        fr = by_lang.get("fr", 0.0)
        if rep_t.ndcg >= 0.55 and fr >= 0.5 and all(v >= fr - 0.05 for v in by_lang.values()):
            candidate = (o.no_answer_empty or 0.0, rep_t.ndcg, t)
            if within_goals is None or candidate[:2] > within_goals[:2]:
                within_goals = candidate
        if (o.no_answer_empty or 0.0) >= 1.0:
            break
    if within_goals is not None:
        na, ndcg, t = within_goals
        print(f"most no-answer needs silenced within the ranking goals: gate {t} ({na:.0%}, nDCG {ndcg:.3f})")
    print(f"near-miss gate threshold {threshold}")
    final = fit_gates(
        gate(fit(needs, c, floor), needs), needs + nonsense_needs, (nonsense_threshold, threshold)
    )
    print(f"gate: best second-encoder cosine >= {final.min_second}", end=" ")
    print(f"({final.min_second_unmatched} without a lexical match)")
    totals = {
        kind: sorted(len(ranked(n, final, ids, floor)) for n in group)
        for kind, group in (
            ("answerable", [n for n in needs if not n.no_answer]),
            ("no-answer", [n for n in needs if n.no_answer]),
            ("nonsense", nonsense_needs),
        )
    }
    si = FEATURES.index("second")
    for kind, group in (
        ("answerable", [n for n in needs if not n.no_answer]),
        ("no-answer", [n for n in needs if n.no_answer]),
        ("nonsense", nonsense_needs),
    ):
        tops = sorted(float(np.nanmax(n.matrix[:, si])) if len(n.case_ids) else 0.0 for n in group)
        print(f"best second-encoder cosine ({kind}): lowest {[round(t, 3) for t in tops[:6]]}")
    for kind, values in totals.items():
        median, top, empty = values[len(values) // 2], values[-1], values.count(0)
        print(f"results per need at floor {floor} ({kind}): median {median}, max {top}", end=", ")
        print(f"{empty}/{len(values)} empty")
    for g in final.gates:
        print(
            "gate",
            g.features,
            "centres",
            {k: [round(x, 4) for x in v] for k, v in g.centres.items()},
            end=" ",
        )
        print(
            "coef",
            [round(x, 3) for x in g.coef],
            "intercept",
            round(g.intercept, 3),
            "threshold",
            g.threshold,
        )
    for lang_group, w in final.groups.items():
        print(
            lang_group,
            {name: round(x, 3) for name, x in zip(FEATURES, w.coef, strict=True)},
            round(w.intercept, 3),
        )
    if write:
        (REPO / "indexing" / "relevance_model.json").write_text(final.to_json() + "\n", encoding="utf-8")
        print("wrote indexing/relevance_model.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
