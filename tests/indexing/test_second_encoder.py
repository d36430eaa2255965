"""The second encoder (USE) runs without a lock of ours: concurrent searches must not disturb each other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from indexing.second_encoder import UseEmbedder

TEXTS = [
    "mutualiser l'achat de logiciels entre petites communes",
    "capteurs de pollen dans les écoles",
    "open data and GDPR for a small town",
    "portail citoyen libre pour les démarches en ligne",
    "centre de données municipal et sobriété énergétique",
    "wifi public dans les bibliothèques rurales",
    "dématérialisation des actes d'urbanisme",
    "plateforme de covoiturage intercommunale",
]


def test_concurrent_queries_give_the_vectors_of_one_at_a_time() -> None:
    alone = UseEmbedder(query_cache_size=0)
    expected = {t: alone.embed_query(t) for t in TEXTS}
    together = UseEmbedder(query_cache_size=0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):  # several rounds: the threads overlap in the forward pass
            got = list(pool.map(together.embed_query, TEXTS))
            for text, vector in zip(TEXTS, got, strict=True):
                np.testing.assert_allclose(vector, expected[text], rtol=0, atol=1e-5)
    # Eight different needs, eight different vectors: a mix-up between threads would show above.
    matrix = np.stack([expected[t] for t in TEXTS])
    cosines = matrix @ matrix.T
    assert float(np.max(cosines - np.eye(len(TEXTS)) * 2)) < 0.95
