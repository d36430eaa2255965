"""All configuration in one place (environment variables prefixed RETEX_)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETEX_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Everything the product writes lives here.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in data_dir.")
    secret_key: str | None = Field(
        default=None, description="Generated into data_dir on first run when unset."
    )
    admin_token: str | None = Field(
        default=None, description="Bearer token for API writes until accounts land."
    )

    qdrant_url: str | None = Field(default=None, description="Qdrant server URL; default: embedded index.")
    qdrant_api_key: str | None = None
    qdrant_shards: int | None = Field(
        default=None, ge=1, description="Shards of a new collection on a Qdrant cluster (default 1)."
    )
    qdrant_replication_factor: int | None = Field(
        default=None, ge=1, description="Copies of each shard on a Qdrant cluster (2: survives a node loss)."
    )
    index_path: Path | None = Field(
        default=None, description="Embedded index folder; default data_dir/index."
    )
    model: str = Field(
        default="packaged:multilingual-e5-small",
        description="Embedding model: 'packaged:multilingual-e5-small', 'hashing' (tests) or a "
        "sentence-transformers name/path.",
    )
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto", description="auto: bf16 where the CPU has it natively (same vectors, 1.7x faster)."
    )
    index_worker: bool = Field(default=True, description="Run the outbox worker inside `serve`.")
    worker_batch_size: int = Field(default=32, ge=1, le=1000, description="Index jobs claimed at once.")
    worker_max_attempts: int = Field(
        default=5, ge=1, description="Failures before a job is dead-lettered (kept with its error)."
    )
    search_fusion: Literal["rrf", "dbsf"] = Field(default="dbsf", description="Hybrid fusion (see README).")
    max_query_chars: int = Field(default=300, description="Longest accepted search query.")

    max_request_bytes: int = Field(default=1_000_000, description="Largest accepted request body.")
    max_section_chars: int = Field(default=20_000, description="Largest Markdown section of a case study.")
    page_size_max: int = 100

    host: str = "127.0.0.1"
    port: int = 8000

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'retex.sqlite3').resolve()}"

    @cached_property
    def resolved_index_path(self) -> Path:
        return self.index_path or self.data_dir / "index"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once into the data dir (sessions survive restarts)."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = key_file.with_suffix(".tmp")
        tmp.write_text(key)
        tmp.chmod(0o600)
        tmp.replace(key_file)
        return key

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
