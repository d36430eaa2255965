"""Migrations build the schema the models describe, and are reversible."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import service.db.models  # noqa: F401
from service.db.base import Base
from service.db.engine import make_engine
from service.db.migrate import downgrade, upgrade


def test_migrations_match_the_models_and_go_down_and_up(scratch_url: str) -> None:
    upgrade(scratch_url)
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    downgrade(scratch_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(scratch_url)
    assert "case_studies" in inspect(engine).get_table_names()
    engine.dispose()
