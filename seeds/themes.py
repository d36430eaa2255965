"""The shared theme taxonomy (ours), with the beta.gouv.fr labels each theme absorbs."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from seeds.paths import RETEX_DIR
from seeds.report import StepReport
from seeds.upsert import upsert_rows
from service.themes.models import Theme


@cache
def load_taxonomy() -> list[dict[str, Any]]:
    with (RETEX_DIR / "themes.json").open(encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


def betagouv_label_map() -> dict[str, str]:
    """beta.gouv.fr 'thematiques' label (stripped, case-folded) -> our theme slug."""
    return {
        label.strip().casefold(): theme["slug"]
        for theme in load_taxonomy()
        for label in theme["betagouv_labels"]
    }


def seed_themes(session: Session) -> StepReport:
    report = StepReport("themes")
    rows = [
        {"slug": t["slug"], "label": t["label"], "description": t["description"]} for t in load_taxonomy()
    ]
    upsert_rows(session, Theme, Theme.slug, rows, report)
    return report
