"""The real embedding model shared by the tests that need it (converted once, linked into data dirs)."""

from __future__ import annotations

from pathlib import Path


def data_dir_with_model(tmp: Path, model_dir: Path) -> Path:
    """A fresh data dir whose models/ points at the shared converted model (no re-conversion)."""
    (tmp / "models").mkdir(parents=True, exist_ok=True)
    link = tmp / "models" / model_dir.name
    if not link.exists():
        link.symlink_to(model_dir, target_is_directory=True)
    return tmp
