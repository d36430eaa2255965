"""Filter the DGCL grant lists down to the digital projects that Retex ships.

    python -m seeds.funded_projects_extract /path/to/dgcl-investment-grants

Reads the four source files (`;`-separated, UTF-8 with a byte-order mark, decimal comma), keeps the rows
that service/funding/classifier.py calls digital and writes seeds/data/dgcl-investment-grants/
digital-projects.csv (UTF-8, `,`-separated, amounts in whole euros, one `categorie` column added).
The beneficiary's name is left out when it is not a public body ("autre maître d'ouvrage": it may be
a person). Re-running it on the same files writes the same file."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from seeds.paths import DGCL_DIR
from service.funding.classifier import classify

SOURCE_FILES = [
    f"dgcl-liste-projets-dotations-investissement-local-{y}.csv" for y in (2018, 2019, 2023, 2024)
]
OUTPUT = DGCL_DIR / "digital-projects.csv"
COLUMNS = [
    "source_key", "exercice", "dispositif", "beneficiaire_type", "beneficiaire_siren", "beneficiaire_dep",
    "beneficiaire_nom", "beneficiaire_code_insee", "intitule", "cout_ht", "subvention", "categorie",
]  # fmt: skip
PRIVATE_KINDS = {"autre maître d'ouvrage"}


def _euros(value: str) -> str:
    value = value.strip().replace(" ", "").replace(",", ".")
    try:
        return str(round(float(value)))
    except ValueError:
        return ""


def extract(source_dir: Path) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for name in SOURCE_FILES:
        with (source_dir / name).open(encoding="utf-8-sig", newline="") as f:
            for line, r in enumerate(csv.DictReader(f, delimiter=";"), start=2):
                title = " ".join((r["intitule"] or "").split())
                category = classify(title)
                if category is None:
                    continue
                kind = (r["beneficiaire_type"] or "").strip()
                out.append(
                    {
                        "source_key": f"{r['exercice']}-{line}",
                        "exercice": r["exercice"].strip(),
                        "dispositif": r["dispositif"].strip(),
                        "beneficiaire_type": kind,
                        "beneficiaire_siren": (r["beneficiaire_siren"] or "").strip(),
                        "beneficiaire_dep": (r["beneficiaire_dep"] or "").strip(),
                        "beneficiaire_nom": ""
                        if kind in PRIVATE_KINDS
                        else " ".join(r["beneficiaire_nom"].split()),
                        "beneficiaire_code_insee": (r["beneficiaire_code_insee"] or "").strip(),
                        "intitule": title,
                        "cout_ht": _euros(r["cout_ht"] or ""),
                        "subvention": _euros(r["subvention"] or ""),
                        "categorie": category.value,
                    }
                )
    return out


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage : python -m seeds.funded_projects_extract DOSSIER_DES_FICHIERS_DGCL")
    rows = extract(Path(argv[0]))
    with OUTPUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} projets numériques écrits dans {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
