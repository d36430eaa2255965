"""Population bands used for filters and territory profiles."""

from __future__ import annotations

# (upper bound exclusive, slug, label)
BANDS: tuple[tuple[float, str, str], ...] = (
    (500, "lt-500", "moins de 500 hab."),
    (2_000, "500-2k", "500 à 2 000 hab."),
    (10_000, "2k-10k", "2 000 à 10 000 hab."),
    (50_000, "10k-50k", "10 000 à 50 000 hab."),
    (200_000, "50k-200k", "50 000 à 200 000 hab."),
    (float("inf"), "gt-200k", "plus de 200 000 hab."),
)
BAND_LABELS = {slug: label for _, slug, label in BANDS}


def population_band(population: int | None) -> str | None:
    if population is None:
        return None
    for upper, slug, _ in BANDS:
        if population < upper:
            return slug
    return None
