"""Precision and recall of the digital-project classifier (service/funding/classifier.py) on 200 DGCL
titles labelled by hand (bench/funded_projects/labelled_sample.csv, column `numerique`: 1 = the
project's object is digital).

How the sample was drawn (seed 2026, from the 99,026 source rows): 120 titles the classifier called
digital (of 4,154 then) and 80 it did not, among the 21,554 titles that share a word with digital
projects (numérique, informatique, école, équipement, réseau, mairie, matériel, vidéo, site…); the rest
of the file (73,000 titles of roads, roofs, water) holds practically no digital project. Precision is
measured on the sample's predicted positives; recall is estimated by weighting each stratum by its size.

    python bench/funded_projects_classifier.py
"""

from __future__ import annotations

import csv
from pathlib import Path

from service.funding.classifier import classify

SAMPLE = Path(__file__).resolve().parent / "funded_projects" / "labelled_sample.csv"
POSITIVE_STRATUM = (120, 4_154)  # (rows in the sample, rows in the source)
NEGATIVE_STRATUM = (80, 21_554)


def main() -> None:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    tp = fp = fn = tn = 0
    errors: list[str] = []
    for r in rows:
        truth = r["numerique"] == "1"
        predicted = classify(r["intitule"]) is not None
        tp += truth and predicted
        fp += predicted and not truth
        fn += truth and not predicted
        tn += not truth and not predicted
        if truth != predicted:
            errors.append(f"  {'faux positif' if predicted else 'faux négatif'} : {r['intitule'][:110]}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall_in_sample = tp / (tp + fn) if tp + fn else 0.0
    # Stratified estimate: positives found among predicted positives, misses among the near negatives.
    pos_rate = tp / (tp + fp) if tp + fp else 0.0
    miss_rate = fn / (fn + tn) if fn + tn else 0.0
    found = pos_rate * POSITIVE_STRATUM[1]
    missed = miss_rate * NEGATIVE_STRATUM[1]
    print(f"échantillon : {len(rows)} titres étiquetés ({tp + fn} numériques)")
    print(f"vrais positifs {tp}, faux positifs {fp}, faux négatifs {fn}, vrais négatifs {tn}")
    print(f"précision : {precision:.3f}")
    print(f"rappel dans l'échantillon : {recall_in_sample:.3f}")
    print(f"rappel estimé sur la source (strates pondérées) : {found / (found + missed):.3f}")
    print("erreurs :")
    print("\n".join(errors))


if __name__ == "__main__":
    main()
