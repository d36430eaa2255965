"""Migration 0010 folds the discussions' outbox (thread_index_jobs) into index_jobs, keeping every
pending or dead job, and gives them back on the way down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from service.db.engine import make_engine
from service.db.migrate import downgrade, upgrade

NOW = "2026-12-01 10:00:00+00:00"


def test_thread_jobs_move_into_the_one_outbox_and_back(scratch_url: str) -> None:
    upgrade(scratch_url, "0005")
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO index_jobs (case_study_id, state, attempts, available_at, last_error,"
                " created_at, updated_at) VALUES (7, 'pending', 0, :now, NULL, :now, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO thread_index_jobs (thread_id, attempts, available_at, dead, last_error)"
                " VALUES (3, 0, :now, false, NULL), (4, 5, :now, true, 'RuntimeError: boom')"
            ),
            {"now": NOW},
        )
    upgrade(scratch_url, "0010")
    assert "thread_index_jobs" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, entity_id, state, attempts, last_error FROM index_jobs ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("case", 7, "pending", 0, None),
        ("thread", 3, "pending", 0, None),
        ("thread", 4, "dead", 5, "RuntimeError: boom"),
    ]

    downgrade(scratch_url, "0005")
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT case_study_id, state FROM index_jobs")).all()
        threads = conn.execute(
            text("SELECT thread_id, attempts, dead, last_error FROM thread_index_jobs ORDER BY id")
        ).all()
    assert [tuple(r) for r in cases] == [(7, "pending")]
    assert [tuple(r) for r in threads] == [(3, 0, False, None), (4, 5, True, "RuntimeError: boom")]
    engine.dispose()
