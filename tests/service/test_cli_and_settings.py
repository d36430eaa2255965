"""The `retex` command and settings behave as documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts.models import Role, User
from service.accounts.passwords import verify_password
from service.settings import Settings


def _retex(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_user_hashes_the_password_and_refuses_duplicates(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    env = {"RETEX_DATABASE_URL": database_url, "RETEX_DATA_DIR": str(tmp_path)}
    args = ["create-user", "--email", "Agent@Example.org", "--name", "Agente", "--role", "moderator"]
    first = _retex([*args, "--password-stdin"], env, stdin="un mot de passe solide\n")
    assert first.returncode == 0, first.stderr
    user = session.scalar(select(User).where(User.email == "agent@example.org"))
    assert user is not None and user.role is Role.moderator
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "un mot de passe solide")
    assert not verify_password(user.password_hash, "un autre mot de passe")
    again = _retex([*args, "--password-stdin"], env, stdin="un mot de passe solide\n")
    assert again.returncode == 2
    assert "existe déjà" in again.stderr
    short = _retex(
        ["create-user", "--email", "b@example.org", "--name", "B", "--password-stdin"], env, "court\n"
    )
    assert short.returncode == 2 and "12 caractères" in short.stderr


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key
    assert len(first) >= 40
    assert Settings(data_dir=tmp_path).resolved_secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0, "the key file is private"
    assert Settings(data_dir=tmp_path, secret_key="explicit").resolved_secret_key == "explicit"


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    url = Settings(data_dir=tmp_path).resolved_database_url
    assert url == f"sqlite:///{(tmp_path / 'retex.sqlite3').resolve()}"
