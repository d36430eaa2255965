"""The side-by-side diff of a revision: unchanged runs fold, changed lines mark only the words that
change (a link slipped into a long paragraph must stand out)."""

from __future__ import annotations

import pytest

from web.revision_diff import _rows

pytestmark = pytest.mark.nodb


def test_a_link_slipped_into_a_paragraph_is_the_only_marked_word() -> None:
    before = "Le portail a été ouvert en 2021.\nIl sert 12 communes et leurs habitants."
    after = "Le portail a été ouvert en 2021.\nIl sert 12 communes https://piege.example et leurs habitants."
    rows = _rows(before, after)
    assert [r.kind for r in rows] == ["same", "changed"]
    old, new = rows[1].parts()
    assert [p.text for p in old if p.changed] == []
    assert [p.text.strip() for p in new if p.changed] == ["https://piege.example"]
    assert "".join(p.text for p in new) == after.split("\n")[1]


def test_long_unchanged_runs_fold_and_additions_and_removals_are_one_sided() -> None:
    same = "\n".join(f"ligne {i}" for i in range(10))
    rows = _rows(same + "\nancienne fin", same)
    assert [r.kind for r in rows] == ["same", "same", "gap", "same", "same", "removed"]
    assert rows[-1].before == "ancienne fin" and rows[-1].after is None
    added = _rows("", "une ligne ajoutée")
    assert [(r.before, r.after, r.kind) for r in added] == [(None, "une ligne ajoutée", "added")]
