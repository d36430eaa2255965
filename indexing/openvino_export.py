"""The same multilingual-e5-small, exported by our code to OpenVINO and quantised to static int8.

Queries are the hot path of search: torch needs ~20 ms per query and one model lock; the OpenVINO
int8 model needs ~5 ms, releases the Python interpreter lock while it runs and serves several threads at
once (one infer request per thread, two CPU streams). Measured facts: ../docs and FACTS (static int8
through NNCF: same retrieval quality as fp32, cosine ≈ 0.997; bf16 runs by default on CPUs that have it).

The export reads the sentence-transformers folder written by ``indexing.model_convert`` (no hub), wraps
BERT with e5's mean pooling and L2 normalisation so the model returns the embedding itself, converts it
with ``openvino.convert_model``, calibrates static int8 with NNCF directly on a few hundred local texts
(sentence-transformers' export helper downloads a calibration set: not usable offline), and writes
``model.xml``/``model.bin`` plus the tokenizer into a sibling temporary folder renamed into place, with a
marker naming the source model, so that a crash never leaves half a model and a re-run does nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from indexing.model_convert import _exclusive_lock, swap_into_place

log = logging.getLogger(__name__)

EXPORT_VERSION = 1
MARKER_NAME = "retex-export.json"
MODEL_XML = "model.xml"
TOKENIZER = "tokenizer.json"
MAX_TOKENS = 512
CALIBRATION_SIZE = 200
# Below this cosine (against the float32 torch model, on the calibration probes) the export is refused.
MIN_PROBE_COSINE = 0.97


class ExportError(RuntimeError):
    pass


def default_target(source_dir: Path) -> Path:
    """Where the exported model of a converted folder lives: beside it."""
    return source_dir.parent / f"{source_dir.name}-openvino-int8"


def _source_marker(source_dir: Path) -> dict[str, object]:
    weights = source_dir / "model.safetensors"
    tokenizer = source_dir / TOKENIZER
    digest = hashlib.sha256()
    for path in (weights, tokenizer):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}".encode())
    marker_file = source_dir / "retex-conversion.json"
    try:  # the converter's own marker names the exact weights (its creation time does not matter)
        conversion = json.loads(marker_file.read_text(encoding="utf-8"))
        for key in ("converter_version", "weights_sha256", "tokenizer_sha256"):
            digest.update(f"{key}:{conversion.get(key)}".encode())
    except (OSError, ValueError):
        pass
    return {"export_version": EXPORT_VERSION, "source": digest.hexdigest(), "max_tokens": MAX_TOKENS}


# CPU instructions that multiply int8 without saturating 16-bit sums. Without them (AVX2 only) the
# static int8 export lost quality (French nDCG@10 0.469 -> 0.454 on bench/devset, AMD Zen 3) and ran
# passages at half torch's speed: the export is then not used unless asked for.
INT8_DOT_PRODUCT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def int8_is_exact_here(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(INT8_DOT_PRODUCT_FLAGS & set(line.partition(":")[2].split()))
    return False


def is_exported(target_dir: Path, source_dir: Path) -> bool:
    try:
        marker = json.loads((target_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = _source_marker(source_dir)
    return all(marker.get(k) == v for k, v in expected.items()) and (target_dir / MODEL_XML).exists()


def load_tokenizer(path: Path) -> Any:
    """The fast tokenizer, configured once (truncation at 512 tokens, no padding): encode() then only
    reads it, so threads may share it."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def _pooled_module(source_dir: Path) -> Any:
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(
        str(source_dir), local_files_only=True, attn_implementation="eager", dtype=torch.float32
    ).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    return Pooled().eval()


def _inputs(tokenizer: Any, text: str) -> dict[str, Any]:
    import numpy as np

    enc = tokenizer.encode(text)
    return {
        "input_ids": np.asarray([enc.ids], dtype=np.int64),
        "attention_mask": np.asarray([enc.attention_mask], dtype=np.int64),
    }


def export_openvino(source_dir: Path, out_dir: Path, calibration_texts: Sequence[str]) -> float:
    """Write the int8 model into ``out_dir``; returns the min cosine against torch on probe texts."""
    import nncf
    import numpy as np
    import openvino as ov
    import torch

    tokenizer = load_tokenizer(source_dir / TOKENIZER)
    module = _pooled_module(source_dir)
    example = {k: torch.from_numpy(v) for k, v in _inputs(tokenizer, "query: exemple").items()}
    with torch.no_grad():
        model = ov.convert_model(
            module,
            example_input=example,
            input=[("input_ids", [-1, -1], ov.Type.i64), ("attention_mask", [-1, -1], ov.Type.i64)],
        )
    items = [_inputs(tokenizer, t) for t in calibration_texts]
    quantized = nncf.quantize(
        model,
        nncf.Dataset(items),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(items),
    )
    ov.save_model(quantized, str(out_dir / MODEL_XML))  # weights compressed: int8 already
    shutil.copyfile(source_dir / TOKENIZER, out_dir / TOKENIZER)
    # Probe: the exported model must agree with torch (a wrong export gives cosines near 0).
    compiled = ov.Core().compile_model(str(out_dir / MODEL_XML), "CPU")
    probes = list(calibration_texts[:: max(1, len(calibration_texts) // 24)])
    worst = 1.0
    with torch.no_grad():
        for text in probes:
            inputs = _inputs(tokenizer, text)
            ref = module(**{k: torch.from_numpy(v) for k, v in inputs.items()}).numpy()[0]
            got = np.asarray(compiled(inputs)[0])[0]
            worst = min(worst, float(np.dot(ref, got) / (np.linalg.norm(got) or 1.0)))
    return worst


def ensure_exported(
    source_dir: Path, calibration_texts: Sequence[str], target_dir: Path | None = None
) -> Path:
    """Export once: a complete folder with a matching marker is reused as is."""
    source_dir = Path(source_dir).absolute()
    target = Path(target_dir or default_target(source_dir)).absolute()
    if is_exported(target, source_dir):
        return target
    if len(calibration_texts) < 50:
        raise ExportError("too few calibration texts (at least 50)")
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with _exclusive_lock(parent / f".{target.name}.lock"):  # one export at a time; the others reuse it
        if is_exported(target, source_dir):
            return target
        cosine = _export_into(source_dir, target, calibration_texts)
    log.info(
        "exported %s to OpenVINO int8 in %.1fs (min cosine %.4f)",
        source_dir.name,
        time.monotonic() - started,
        cosine,
    )
    return target


def _export_into(source_dir: Path, target: Path, calibration_texts: Sequence[str]) -> float:
    parent = target.parent
    for stale in parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a crashed run; we hold the lock
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        cosine = export_openvino(source_dir, tmp, calibration_texts)
        if cosine < MIN_PROBE_COSINE:
            raise ExportError(f"the int8 model disagrees with torch (min cosine {cosine:.4f})")
        marker = {**_source_marker(source_dir), "probe_min_cosine": cosine, "created": time.time()}
        (tmp / MARKER_NAME).write_text(json.dumps(marker, indent=2), encoding="utf-8")
        tmp.chmod(0o755)
        swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return cosine


def calibration_texts_from(paths: Sequence[Path], limit: int = CALIBRATION_SIZE) -> list[str]:
    """Query- and passage-shaped texts from local JSON/JSON Lines files (titles, missions, summaries,
    bodies): half as e5 queries, half as e5 passages."""
    records: list[dict[str, Any]] = []
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            records.extend(json.loads(line) for line in raw.split("\n") if line.strip())
        else:
            data = json.loads(raw)
            records.extend(data if isinstance(data, list) else [data])
    texts: list[str] = []
    for i, rec in enumerate(records):
        title = str(rec.get("title") or "")
        body = " ".join(
            str(rec.get(k) or "") for k in ("summary", "mission", "body_markdown", "context", "solution")
        )
        body = " ".join(body.split())
        if not title and not body:
            continue
        if i % 2:
            texts.append("query: " + (title + " " + " ".join(body.split()[:12])).strip())
        else:
            texts.append("passage: " + (title + "\n" + " ".join(body.split()[:200])).strip())
        if len(texts) >= limit:
            break
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexing.openvino_export",
        description="Export the converted multilingual-e5-small to OpenVINO static int8 (idempotent).",
    )
    parser.add_argument("source_dir", type=Path, help="the folder written by indexing.model_convert")
    parser.add_argument("--calibration", type=Path, action="append", required=True, help="JSON/JSONL texts")
    parser.add_argument("--target", type=Path, help="default: <source_dir>-openvino-int8")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("nncf").setLevel(logging.WARNING)
    try:
        path = ensure_exported(args.source_dir, calibration_texts_from(args.calibration), args.target)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
