"""All configuration in one place (environment variables prefixed RETEX_)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexing.index_types import IndexHostAddress


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETEX_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Everything the product writes lives here.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in data_dir.")
    secret_key: str | None = Field(
        default=None, description="Generated into data_dir on first run when unset."
    )
    admin_token: str | None = Field(
        default=None,
        description="Operator token: a bearer acting as an administrator on the API (scripts, first set-up).",
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
    index_host: str | None = Field(
        default=None,
        description="Set by `retex serve --workers N` for its app processes: the Unix socket of the "
        "process that holds the embedded index (indexing/index_host.py).",
    )
    index_host_key: str | None = Field(default=None, description="Handshake key of index_host (hex).")
    model: str = Field(
        default="packaged:multilingual-e5-small",
        description="Embedding model: 'packaged:multilingual-e5-small', 'hashing' (tests) or a "
        "sentence-transformers name/path.",
    )
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto", description="auto: bf16 where the CPU has it natively (same vectors, 1.7x faster)."
    )
    embedding_backend: Literal["auto", "torch", "openvino"] = Field(
        default="auto",
        description="auto: the OpenVINO int8 export of the packaged model when `make install` made it "
        "and the CPU has int8 dot-product instructions (VNNI/AMX: 4x faster queries, no model lock), "
        "torch otherwise; openvino: the export on any CPU.",
    )
    index_worker: bool = Field(default=True, description="Run the outbox worker inside `serve`.")
    worker_batch_size: int = Field(default=32, ge=1, le=1000, description="Index jobs claimed at once.")
    worker_max_attempts: int = Field(
        default=5, ge=1, description="Failures before a job is dead-lettered (kept with its error)."
    )
    search_fusion: Literal["rrf", "dbsf"] = Field(
        default="dbsf", description="Hybrid fusion of the 'fused' ranking (see README)."
    )
    search_ranking: Literal["calibrated", "fused"] = Field(
        default="calibrated",
        description="calibrated: relevance probability with a floor (indexing/relevance.py); fused: "
        "the former dense + lexical fusion, every candidate case.",
    )
    second_encoder: Literal["auto", "use", "none"] = Field(
        default="auto",
        description="Second opinion encoder (USE multilingual, indexing/second_encoder.py); auto: on "
        "with the packaged e5 model, off with the test embedder.",
    )
    max_query_chars: int = Field(default=300, description="Longest accepted search query.")

    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="Database connections per process, and as many threads to run requests: a request "
        "uses at most one connection, so none waits for another.",
    )
    db_pool_timeout: float = Field(
        default=10.0, description="Seconds a request waits for a free connection, then 503 + Retry-After."
    )
    password_hash_concurrency: int | None = Field(
        default=None, ge=1, description="Argon2 hashes/checks at once per process; default: one per core."
    )
    embedding_concurrency: int | None = Field(
        default=None, ge=1, description="Search query embeddings at once per process; default: one per core."
    )

    max_request_bytes: int = Field(default=1_000_000, description="Largest accepted request body.")
    max_section_chars: int = Field(default=20_000, description="Largest Markdown section of a case study.")
    page_size_max: int = 100
    # Accounts and the emails they send
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of the site: every absolute link (e-mails, feeds, exports, widget) is "
        "built on it, never on the Host header. https://… also marks cookies Secure and sends HSTS.",
    )
    mail_from: str = Field(default="Retex <ne-pas-repondre@retex.local>", description="Sender of emails.")
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: emails go to data_dir/mail.")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    email_sender: bool = Field(default=True, description="Send queued emails from inside `serve`.")
    session_days: int = Field(default=14, description="A browser stays logged in this many days idle.")
    login_max_failures_per_account: int = Field(default=5, description="Per 15 minutes, then 429.")
    login_max_failures_per_ip: int = Field(default=30, description="Per 15 minutes, then 429.")
    anonymous_searches_per_minute: int = Field(
        default=60, description="Searches (and duplicate checks) per minute per address without an API key."
    )
    anonymous_reads_per_minute: int = Field(
        default=1200, ge=1, description="API requests per minute per address without an API key, then 429."
    )
    password_resets_per_hour: int = Field(
        default=5, description="Reset mails per hour per address and per IP."
    )
    verification_mails_per_hour: int = Field(
        default=3, description="Confirmation re-sends per account per hour."
    )
    registrations_per_hour: int = Field(default=10, description="New accounts per hour per IP.")
    account_deletions_per_hour: int = Field(
        default=5, description="Account-deletion attempts (password checks) per account per hour."
    )
    api_key_days: int = Field(default=365, ge=1, description="A new API key works this many days.")
    session_max_days: int = Field(
        default=30, ge=1, description="A login session ends this many days after the login, even if active."
    )
    api_key_default_rate_limit: int = Field(default=600, description="Requests per minute for a new key.")
    idempotency_key_hours: int = Field(
        default=24, ge=1, description="An Idempotency-Key of the API is remembered this many hours."
    )
    idempotency_lease_seconds: int = Field(
        default=60, ge=1, description="A keyed POST that died without an answer holds its key this long."
    )
    # Discussions
    posts_per_minute: int = Field(default=5, description="Posts a member may write per minute, then 429.")
    max_post_chars: int = Field(default=20_000, description="Longest discussion post (Markdown).")
    # Partners' webhooks (service/webhooks/)
    webhook_worker: bool = Field(default=True, description="Send webhook deliveries from inside `serve`.")
    webhook_allow_private: bool = Field(
        default=False,
        description="Accept webhook endpoints in http:// and on private, loopback or link-local addresses "
        "(tests, a partner on the same network); off: https only, public addresses only.",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="Connect + read timeout of one webhook delivery."
    )
    webhook_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A claimed delivery is not claimed again before this (a worker killed mid-delivery: "
        "another one retries after it). Longer than the timeout.",
    )
    webhook_retry_base_seconds: float = Field(
        default=30.0, gt=0, description="Retry n waits base·2^n seconds (60 s, 2 min, 4 min… ; tests: less)."
    )
    webhook_retry_cap_seconds: float = Field(
        default=6 * 3600, gt=0, description="Longest wait between tries."
    )
    webhook_max_attempts: int = Field(
        default=10, ge=1, description="Tries of one delivery before it is dead (kept in the delivery log)."
    )
    webhook_disable_after: int = Field(
        default=15, ge=1, description="Consecutive failed tries before an endpoint is disabled (e-mail)."
    )
    webhook_batch_size: int = Field(default=50, ge=1, le=500, description="Deliveries claimed at once.")
    webhook_concurrency: int = Field(
        default=4,
        ge=1,
        le=32,
        description="Endpoints sent to at once, one connection each (each endpoint's deliveries in order).",
    )

    # Login through an OpenID Connect provider (ProConnect for French public agents); off without an issuer.
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer URL, e.g. https://auth.agentconnect.gouv.fr/api/v2."
    )
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = Field(
        default="openid email given_name usual_name siret",
        description="Space-separated scopes; the default asks ProConnect for name, e-mail and SIRET.",
    )
    oidc_label: str = Field(default="ProConnect", description="Provider name on the login button.")
    oidc_trust_email: bool = Field(
        default=False,
        description="Treat the provider's e-mail as verified even without email_verified (ProConnect "
        "does not send the claim but its identity providers verify addresses).",
    )
    oidc_redirect_uri: str | None = Field(
        default=None,
        description="Callback URL registered at the provider; default: derived from the request.",
    )
    oidc_timeout_seconds: float = Field(default=10.0, description="Timeout of each call to the provider.")

    cors_allow_origins: list[str] = Field(
        default=["*"], description="Origins allowed to call /api/v1 from a browser (JSON list)."
    )

    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated addresses or "
        "networks, '*' for any): the client's address is then the forwarded one.",
    )
    hsts_seconds: int = Field(
        default=31_536_000, ge=0, description="Strict-Transport-Security max-age on HTTPS answers (0: none)."
    )

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
    def index_host_address(self) -> IndexHostAddress | None:
        if not self.index_host:
            return None
        return IndexHostAddress(self.index_host, bytes.fromhex(self.index_host_key or ""))

    def index_location(self) -> dict[str, Any]:
        """Where the collections live, as open_index, drop_index and stored_spec take it."""
        return {
            "path": self.resolved_index_path,
            "url": self.qdrant_url,
            "api_key": self.qdrant_api_key,
            "host": self.index_host_address,
        }

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
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
