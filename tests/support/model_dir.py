"""The real embedding model shared by the tests that need it (converted once, linked into data dirs)."""

from __future__ import annotations

from pathlib import Path


def data_dir_with_model(tmp: Path, model_dir: Path) -> Path:
    """A fresh data dir whose models/ points at the shared converted model (no re-conversion)."""
    (tmp / "models").mkdir(parents=True, exist_ok=True)
    link = tmp / "models" / model_dir.name
    if not link.exists():
        link.symlink_to(model_dir, target_is_directory=True)
    # The OpenVINO export of `make install`, when present, as the product would load it.
    from indexing.openvino_export import default_target

    fast, fast_link = default_target(model_dir), default_target(link)
    if fast.exists() and not fast_link.exists():
        fast_link.symlink_to(fast, target_is_directory=True)
    # The outside titles' vectors of `make install` (indexing/outside_corpus.py), when present.
    outside, outside_link = model_dir.parent / "outside", tmp / "models" / "outside"
    if outside.exists() and not outside_link.exists():
        outside_link.symlink_to(outside, target_is_directory=True)
    return tmp
