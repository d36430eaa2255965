"""The titles of the ordinary municipal projects (DGCL grants) that the search's near-miss gate compares
a query with (indexing/outside_corpus.py).

    python -m seeds.outside_titles_extract /path/to/dgcl-investment-grants

Reads the four source files, keeps every non-empty title that service/funding/classifier.py does NOT
call digital (Retex covers digital projects: these stand for everything else a commune funds), and
de-duplicates them on their accent-free lower-case form. No sampling: all of them, about 80,000 (on the
dev set, 4,000 and 16,000 hash-sampled titles separated less and less steadily: bench/relevance_report.md).
Writes indexing/outside_titles.txt.gz (next to the relevance model whose gate was fitted with it), one
title a line, in the order of their SHA-1 (stable, unrelated to the subject). Re-running it on the same
files writes the same file."""

from __future__ import annotations

import csv
import gzip
import hashlib
import sys
from pathlib import Path

from indexing.outside_corpus import TITLES_PATH
from seeds.funded_projects_extract import SOURCE_FILES
from service.funding.classifier import classify
from service.textkeys import fold


def outside_titles_of(source_dir: Path) -> list[str]:
    by_key: dict[str, str] = {}
    for name in SOURCE_FILES:
        with (source_dir / name).open(encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f, delimiter=";"):
                title = " ".join((r["intitule"] or "").split())
                if title and classify(title) is None:
                    by_key.setdefault(fold(title), title)
    return [by_key[k] for k in sorted(by_key, key=lambda k: hashlib.sha1(k.encode()).hexdigest())]


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage : python -m seeds.outside_titles_extract DOSSIER_DES_FICHIERS_DGCL")
    titles = outside_titles_of(Path(argv[0]))
    # mtime=0: the same titles give the same bytes (the vectors' cache key is their hash).
    with TITLES_PATH.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write("".join(f"{t}\n" for t in titles).encode())
    print(f"{len(titles)} intitulés écrits dans {TITLES_PATH}")


if __name__ == "__main__":
    main(sys.argv[1:])
