"""make_snippet: whole sentences, Markdown read as structure, meaningful words marked, HTML-safe."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from indexing import snippets
from indexing.snippets import make_snippet

pytestmark = pytest.mark.nodb

CASE = """## Problème

**Problème** utilisateurs : les communes de taille modeste peinent à acheter des logiciels métier.
Le syndicat mixte gère une centrale d'achat qui passe les marchés pour elles. Voir [le site](https://example.org).

## Solution

- des capteurs de pollens dans les écoles
- une application pour les personnes allergiques
"""


def test_whole_sentences_and_no_flattened_heading() -> None:
    out = make_snippet(CASE, "acheter des logiciels", max_chars=120)
    assert out.startswith("Problème utilisateurs"), out  # the heading is not glued to the text
    assert "Problème Problème" not in out
    assert out.endswith("logiciels</mark> métier."), out  # a whole sentence, nothing cut
    assert "##" not in out and "**" not in out


def test_only_meaningful_words_are_marked() -> None:
    out = make_snippet(CASE, "les communes qui veulent acheter des logiciels")
    assert "<mark>acheter</mark>" in out and "<mark>logiciels</mark>" in out
    assert "<mark>communes</mark>" not in out  # too common in case studies to say anything
    assert "<mark>les</mark>" not in out


def test_the_best_sentences_are_chosen_and_list_items_stay_apart() -> None:
    out = make_snippet(CASE, "allergies aux pollens", max_chars=120)
    assert out.startswith("… "), out
    assert "<mark>pollens</mark> dans les écoles —" in out, out


def test_a_foreign_query_marks_cognates_and_never_garbage() -> None:
    out = make_snippet(CASE, "pollen allergy sensors", "en", max_chars=120)
    assert "<mark>pollens</mark>" in out, out
    none = make_snippet(CASE, "snow ploughs", "en", max_chars=120)
    assert "<mark>" not in none
    assert none.startswith("Problème utilisateurs"), none  # nothing matches: the opening sentences


def test_links_markup_and_html_are_made_safe() -> None:
    out = make_snippet('Un <script>alert("x")</script> texte & [lien](https://x.org) ici.', "texte lien")
    assert "<script>" not in out and "https://" not in out
    assert "&amp;" in out
    assert "<mark>lien</mark>" in out
    assert make_snippet("", "x") == ""


def test_concurrent_snippets_match_the_ones_made_alone() -> None:
    """Searches make snippets in parallel threads: with the stem cache cold, every thread stems at once
    (a stemmer shared across threads once garbled words: an IndexError, a 500 under a burst)."""
    words = ["mutualisation", "achats", "logiciels", "communes", "rurales", "capteurs", "pollen"]
    words += ["qualité", "air", "portail", "citoyen"]
    texts = [
        f"## Contexte\n\nLa commune {i} a lancé la {words[i % 11]} des {words[(i * 3) % 11]}. "
        f"Les {words[(i * 7) % 11]} ont suivi, puis la {words[(i * 5) % 11]} des services."
        for i in range(300)
    ]
    queries = [f"{words[i % 11]} {words[(i + 4) % 11]}" for i in range(300)]
    snippets._stem.cache_clear()
    alone = [make_snippet(t, q) for t, q in zip(texts, queries, strict=True)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between any two bytecodes, as under a burst
    try:
        for _ in range(5):  # a race: several rounds, each with cold caches
            snippets._stem.cache_clear()
            snippets._fold.cache_clear()
            with ThreadPoolExecutor(max_workers=8) as pool:
                assert list(pool.map(make_snippet, texts, queries)) == alone
    finally:
        sys.setswitchinterval(interval)
